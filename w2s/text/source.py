"""Where a text task's records come from: one local JSON-lines file, or a dataset in the
Hugging Face hub's layout (a hub id, or a local folder laid out the same way).

Both go through `datasets.load_dataset`, so the code that reads the hub is the code the
tests run on local files.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from w2s.text.errors import TextTaskError

FILE_SUFFIXES = (".jsonl", ".jsonl.gz")
# How long to wait for the hub to answer a connection before calling it unreachable: the
# hub client itself retries for about 25 s before it gives up.
HUB_PROBE_SECONDS = 3.0
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
LOCAL_HINT = "pass a local file instead: --data PATH.jsonl or --data PATH.jsonl.gz"


@dataclass(frozen=True)
class DataSource:
    """A parsed `--data` value.

    `kind` is "file" for one local JSON-lines file (all splits are cut from it) or "hub"
    for a dataset with its own train/test splits: `location` is a hub id such as
    `Anthropic/hh-rlhf`, or a local folder in the same layout; `data_dir` picks a
    sub-folder such as `harmless-base`.
    """

    kind: str
    location: str
    data_dir: str | None = None

    def describe(self) -> str:
        if self.kind == "file":
            return self.location
        return f"{self.location}:{self.data_dir}" if self.data_dir else self.location


def parse_source(spec: str) -> DataSource:
    """Read a `--data` value: `PATH.jsonl[.gz]`, or `HUB_ID_OR_FOLDER[:DATA_DIR]`."""
    spec = spec.strip()
    if not spec:
        raise TextTaskError(
            "--data is empty: give a .jsonl or .jsonl.gz file, or a hub id such as "
            "Anthropic/hh-rlhf:harmless-base"
        )
    if spec.endswith(FILE_SUFFIXES):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise TextTaskError(f"--data {spec}: no such file")
        return DataSource("file", str(path.resolve()))
    if Path(spec).expanduser().is_file():
        raise TextTaskError(
            f"--data {spec}: a local file must end in {' or '.join(FILE_SUFFIXES)} "
            "(JSON lines, optionally gzipped)"
        )
    location, _, data_dir = spec.partition(":")
    local = Path(location).expanduser()
    if local.is_dir():
        location = str(local.resolve())
    return DataSource("hub", location, data_dir or None)


def hub_offline() -> bool:
    """Whether the user has switched the Hugging Face clients to offline mode."""
    return any(
        os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
        for name in OFFLINE_VARIABLES
    )


def hub_endpoint() -> str:
    """The hub's address, as the Hugging Face clients read it (`HF_ENDPOINT` overrides it)."""
    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def hub_reachable(endpoint: str | None = None, timeout: float = HUB_PROBE_SECONDS) -> bool:
    """Whether a TCP connection to the hub opens within `timeout` seconds."""
    parts = urlsplit(endpoint or hub_endpoint())
    host = parts.hostname
    if not host:
        return False
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def check_hub(source: DataSource) -> None:
    """Fail at once, in one line, when a hub dataset cannot be fetched: offline mode with
    nothing cached is left to the client (it answers fast); no answer from the hub is
    caught here, before the client spends its retries."""
    if source.kind != "hub" or Path(source.location).is_dir() or hub_offline():
        return
    if not hub_reachable():
        raise TextTaskError(
            f"cannot reach the Hugging Face hub at {hub_endpoint()} to load "
            f"{source.describe()}; {LOCAL_HINT} (or set HF_HUB_OFFLINE=1 to use a copy "
            "already in the datasets cache)"
        )


def load_records(
    source: DataSource, split: str | None = None, *, cache_dir: Path | None = None
) -> list[dict[str, Any]]:
    """The rows of one split (`split` is ignored for a single file, which has one)."""
    import datasets
    from datasets.exceptions import DatasetsError

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    cache = str(cache_dir / "datasets") if cache_dir is not None else None
    check_hub(source)
    try:
        if source.kind == "file":
            table = datasets.load_dataset(
                "json", data_files=source.location, split="train", cache_dir=cache
            )
        else:
            table = datasets.load_dataset(
                source.location, data_dir=source.data_dir, split=split, cache_dir=cache
            )
    except (OSError, ValueError, DatasetsError) as exc:
        if source.kind == "file":
            hint = "check that it holds one JSON object per line"
        elif hub_offline():
            hint = f"the hub is off (HF_HUB_OFFLINE) and no copy is cached; {LOCAL_HINT}"
        else:
            hint = f"without network access, {LOCAL_HINT}"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise TextTaskError(
            f"could not read the {split or 'records'} split of {source.describe()}: "
            f"{first_line}; {hint}"
        ) from exc
    return table.to_list()

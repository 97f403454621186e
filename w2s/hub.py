"""Models from the Hugging Face cache, found without the network.

A model a task names by hub id (`Qwen/Qwen3-4B-Base`) is read from a snapshot in the hub
cache's layout, `CACHE/models--Qwen--Qwen3-4B-Base/snapshots/<revision>/`: the cache that
`HF_HUB_CACHE` (or `HF_HOME/hub`, or `~/.cache/huggingface/hub`) names, or a folder given in
its place. The engine resolves every model of a task once, before preparing it, and mounts
the same folders read-only into each sandbox, where `HF_HUB_CACHE` points at them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from w2s.errors import TaskError

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
WEIGHT_SUFFIXES = (".safetensors", ".bin")


class MissingModel(TaskError):
    """A model a task needs is not in the cache; the message says how to fetch it."""


@dataclass(frozen=True)
class Snapshot:
    """One model in the cache: its folder (`models--ORG--NAME`) and the revision to load."""

    model_id: str
    repo_dir: Path
    revision: str

    @property
    def path(self) -> Path:
        return self.repo_dir / "snapshots" / self.revision

    def weight_bytes(self) -> int:
        """The size of the weight files (as stored, e.g. bf16): what loading them takes."""
        return sum(
            f.stat().st_size
            for f in self.path.iterdir()
            if f.name.endswith(WEIGHT_SUFFIXES) and f.is_file()
        )


def is_hub_id(name: str) -> bool:
    """Whether `name` has the shape of a hub id (`ORG/NAME`); a local folder is tried first
    by whoever loads it."""
    return bool(_HUB_ID.match(name))


def hub_cache() -> Path:
    """The hub cache that this process reads, from the variables `huggingface_hub` reads."""
    if cache := os.environ.get("HF_HUB_CACHE"):
        return Path(cache).expanduser()
    if home := os.environ.get("HF_HOME"):
        return Path(home).expanduser() / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def repo_folder(model_id: str) -> str:
    return "models--" + model_id.replace("/", "--")


def find_snapshot(model_id: str, cache: Path | None = None) -> Snapshot | None:
    """The cached snapshot of `model_id`: the one `refs/main` names, else the only or newest
    one that holds a config; None when there is none."""
    repo = (cache or hub_cache()) / repo_folder(model_id)
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = repo / "refs" / "main"
    if ref.is_file():
        revision = ref.read_text().strip()
        if (snapshots / revision / "config.json").is_file():
            return Snapshot(model_id, repo, revision)
    candidates = [d for d in snapshots.iterdir() if (d / "config.json").is_file()]
    if not candidates:
        return None
    newest = max(candidates, key=lambda d: d.stat().st_mtime)
    return Snapshot(model_id, repo, newest.name)


def resolve_models(model_ids: tuple[str, ...], cache: Path | None = None) -> list[Snapshot]:
    """The snapshot of every model, or MissingModel (one line) naming the first missing one
    and the command that fetches it."""
    where = cache or hub_cache()
    found = []
    for model_id in model_ids:
        snapshot = find_snapshot(model_id, where)
        if snapshot is None:
            into = f" --cache-dir {where}" if cache is not None else ""
            raise MissingModel(
                f"model {model_id} is not in the Hugging Face cache at {where}; fetch it with "
                f"`huggingface-cli download {model_id}{into}` (or pass --models DIR)"
            )
        found.append(snapshot)
    return found

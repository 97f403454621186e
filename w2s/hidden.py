"""The hidden side of a prepared task: labels, the public/private division of the test split,
the secret data seed and the per-seed baselines. Only the engine and the grader read it.

Layout (format 1), in a directory of mode 0700 with files of mode 0600:
    task.json        task id, data source, secret seed, format
    labels.npz       train_label_y, train_unlabel_y, test_y, test_public (bool per test row)
    baselines.json   the weak supervisor's and the ceiling's accuracy on each half
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2s.errors import BundleError

FORMAT = 1


@dataclass(frozen=True)
class Hidden:
    path: Path
    task_id: str
    test_y: np.ndarray
    test_public: np.ndarray
    baselines: dict[str, Any]


def _private_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_hidden(
    path: Path,
    *,
    task: dict[str, Any],
    labels: dict[str, np.ndarray],
    baselines: dict[str, Any],
) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    _private_file(path / "task.json", json.dumps({"format": FORMAT, **task}, indent=2).encode())
    _private_file(path / "baselines.json", json.dumps(baselines, indent=2).encode())
    fd = os.open(path / "labels.npz", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        np.savez(f, allow_pickle=False, **labels)


def load_hidden(path: Path | str) -> Hidden:
    """Read the hidden directory at `path`; BundleError says what is missing or malformed."""
    path = Path(path)
    if not path.is_dir():
        raise BundleError(
            f"hidden directory {path} does not exist; pass the DIR/hidden of a prepared task"
        )
    try:
        task = json.loads((path / "task.json").read_text())
        baselines = json.loads((path / "baselines.json").read_text())
        with np.load(path / "labels.npz", allow_pickle=False) as data:
            test_y = np.asarray(data["test_y"])
            test_public = np.asarray(data["test_public"], dtype=bool)
    except FileNotFoundError as exc:
        raise BundleError(
            f"{exc.filename} is missing; is {path} a prepared task's hidden directory?"
        ) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise BundleError(f"the hidden directory {path} is unreadable: {exc}") from None
    if task.get("format") != FORMAT:
        raise BundleError(f"{path} is not a format-{FORMAT} hidden directory; prepare again")
    return Hidden(path, str(task.get("task")), test_y, test_public, baselines)

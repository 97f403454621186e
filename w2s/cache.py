"""The engine-side cache of baselines and text features, keyed by digest.

It may hold labels, so it lives outside every run directory and is never mounted into a
sandbox. Writes go to a temporary file first and are renamed into place, so a reader
never sees half a file and concurrent writers of the same key cannot corrupt it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np


def default_cache_dir() -> Path:
    """`AAR_CACHE_DIR` if set, else `~/.cache/aar`."""
    configured = os.environ.get("AAR_CACHE_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "aar"


def digest(obj: Any) -> str:
    """A short stable digest of a JSON-able object."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class Cache:
    """Arrays under `root/KIND/KEY.npz`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_cache_dir()
        self.hits = 0
        self.misses = 0

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        return self.root / kind / f"{key}{suffix}"

    def get_arrays(self, kind: str, key: str) -> dict[str, np.ndarray] | None:
        path = self._path(kind, key, ".npz")
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            # Missing or unreadable (e.g. truncated by a crash elsewhere): recompute it.
            self.misses += 1
            return None
        self.hits += 1
        return arrays

    def put_arrays(self, kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
        path = self._path(kind, key, ".npz")
        self._atomic_write(path, lambda f: np.savez(f, allow_pickle=False, **arrays))

    @staticmethod
    def _atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

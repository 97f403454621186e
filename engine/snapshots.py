"""Content-addressed snapshots of an agent's workspace, kept engine-side for reproduction.

A code submission keeps what its command needs: every regular file of the workspace (the
submitted predictions file itself left out, so that a command must make it again), read
through the sandbox's race-free file access and packed as a tar with fixed metadata, so the
same files give the same digest. Snapshots live in the run directory's `snapshots/`, which
no sandbox mounts.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from engine.errors import EngineError

if TYPE_CHECKING:
    from sandbox import Sandbox

FILES_MAX = 5000
# Caches that make a snapshot big and that no command needs to run again.
SKIPPED_DIRS = frozenset({"__pycache__", ".cache", ".pytest_cache"})


class SnapshotRefused(EngineError):
    """A workspace could not be snapshotted (over its cap); the message says what to do."""


@dataclass(frozen=True)
class Snapshot:
    digest: str
    files: int
    size: int


class SnapshotStore:
    def __init__(self, root: Path, cap_bytes: int) -> None:
        self.root = root
        self.cap_bytes = cap_bytes

    async def take(self, box: Sandbox, leave_out: str) -> Snapshot:
        """Snapshot the workspace of `box`, without the file at `leave_out`."""
        files = await self._collect(box, normal_path(leave_out))
        data = _pack(files)
        digest = hashlib.sha256(data).hexdigest()[:20]
        await asyncio.to_thread(self._keep, digest, data)
        return Snapshot(digest, len(files), sum(len(v) for v in files.values()))

    def files(self, digest: str) -> dict[str, bytes]:
        """The files of a kept snapshot, by workspace-relative path (blocking)."""
        path = self.root / f"{digest}.tar"
        if not path.is_file():
            raise SnapshotRefused(f"snapshot {digest} is not in {self.root}")
        out: dict[str, bytes] = {}
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                name = PurePosixPath(member.name)
                if not member.isfile() or name.is_absolute() or ".." in name.parts:
                    continue
                extracted = tar.extractfile(member)
                if extracted is not None:
                    out[member.name] = extracted.read()
        return out

    def _keep(self, digest: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.root / f"{digest}.tar"
        if path.exists():
            return
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    async def _collect(self, box: Sandbox, leave_out: str) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        total = 0
        pending = ["."]
        while pending:
            folder = pending.pop()
            for entry in await box.list_dir(folder):
                rel = normal_path(f"{folder}/{entry.name}")
                if entry.kind == "dir" and entry.name not in SKIPPED_DIRS:
                    pending.append(rel)
                if entry.kind != "file" or rel == leave_out:
                    continue  # symlinks, FIFOs and devices are not code
                total += entry.size
                if total > self.cap_bytes or len(files) >= FILES_MAX:
                    raise SnapshotRefused(self._too_big(total, len(files)))
                files[rel] = await box.read_file(rel, max_bytes=self.cap_bytes)
        return files

    def _too_big(self, total: int, count: int) -> str:
        mb = self.cap_bytes / (1 << 20)
        if count >= FILES_MAX:
            what = f"more than {FILES_MAX} files"
        else:
            what = f"over {total / (1 << 20):.1f} MB"
        return (
            f"the workspace holds {what}, over the snapshot cap ({mb:g} MB, {FILES_MAX} files)"
            " that a code submission keeps: delete data and caches the command does not"
            " need, then submit again; nothing was recorded"
        )


def normal_path(path: str) -> str:
    """A workspace path relative to it ("" for one outside it, such as /bundle/x)."""
    pure = PurePosixPath(path)
    if ".." in pure.parts or (pure.is_absolute() and not pure.is_relative_to("/workspace")):
        return ""
    parts = [p for p in PurePosixPath(path.removeprefix("/workspace")).parts if p not in ("/", ".")]
    return "/".join(parts)


def _pack(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()

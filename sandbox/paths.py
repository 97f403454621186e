"""Race-free access to a sandbox's files from the engine's side.

A path as the sandbox sees it (`/workspace/x`, `/bundle/y`, or relative to /workspace) is
resolved one component at a time with `openat`-style calls on directory descriptors and
`O_NOFOLLOW`, never by name on the host. Symlinks are read and resolved by hand, so one
that leads out of its root is refused, also when the sandbox swaps it in mid-way.
"""

from __future__ import annotations

import builtins
import errno
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from sandbox.errors import FileTooLarge, PathRefused, SandboxError
from sandbox.results import DirEntry
from sandbox.spec import WORKSPACE

MAX_SYMLINKS = 40
# A component that flips between a directory and a symlink is retried this often at most.
MAX_STEPS = 4096
DEFAULT_MAX_READ = 100 * (1 << 20)


@dataclass(frozen=True)
class Root:
    inside: str
    host: Path
    writable: bool


class ConfinedFiles:
    """The files of one sandbox: its workspace (read-write) and its read-only mounts."""

    def __init__(
        self, workspace: Path, mounts: Mapping[str, Path], owner: tuple[int, int] | None = None
    ) -> None:
        self._roots = [Root(WORKSPACE, workspace, True)]
        self._roots += [Root(t, Path(s), False) for t, s in mounts.items()]
        # Files the engine writes are handed to the sandbox's user when the engine is root.
        self._owner = owner

    def read(self, path: str, max_bytes: int = DEFAULT_MAX_READ) -> bytes:
        fd = self._open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise PathRefused(f"{path} is not a regular file; only files can be read")
            if info.st_size > max_bytes:
                raise FileTooLarge(
                    f"{path} is {info.st_size} bytes, over the read cap of {max_bytes} bytes"
                )
            chunks, total = [], 0
            while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > max_bytes:
                    raise FileTooLarge(f"{path} grew over the read cap of {max_bytes} bytes")
            return b"".join(chunks)
        finally:
            os.close(fd)

    def write(self, path: str, data: bytes) -> None:
        root, parts = self._locate(path)
        if not root.writable:
            raise PathRefused(
                f"{path} is on the read-only mount {root.inside}; write under {WORKSPACE}"
            )
        if not parts:
            raise PathRefused(f"{path} is a directory, not a file")
        parent = self._walk(root, parts[:-1], os.O_PATH | os.O_DIRECTORY, create_dirs=True)
        try:
            # O_NONBLOCK: a FIFO planted where a file goes is refused, not waited on forever.
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
            flags |= os.O_CLOEXEC
            try:
                fd = os.open(parts[-1], flags, 0o644, dir_fd=parent)
            except OSError as exc:
                raise _refusal(path, exc) from None
        finally:
            os.close(parent)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise PathRefused(f"{path} is not a regular file; only files can be written")
            if self._owner is not None:
                os.fchown(fd, *self._owner)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def list(self, path: str) -> list[DirEntry]:
        fd = self._open(path, os.O_RDONLY | os.O_DIRECTORY)
        entries = []
        try:
            with os.scandir(fd) as it:
                for entry in it:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    entries.append(DirEntry(entry.name, _kind(info.st_mode), info.st_size))
        finally:
            os.close(fd)
        return sorted(entries, key=lambda e: e.name)

    def _open(self, path: str, flags: int) -> int:
        root, parts = self._locate(path)
        return self._walk(root, parts, flags)

    def _locate(self, path: str) -> tuple[Root, builtins.list[str]]:
        if not isinstance(path, str) or not path or "\0" in path:
            raise PathRefused(f"{path!r} is not a path")
        pure = PurePosixPath(path)
        if ".." in pure.parts:
            raise PathRefused(f"{path}: '..' is not allowed; give a path under {self._names()}")
        if not pure.is_absolute():
            pure = PurePosixPath(WORKSPACE) / pure
        for root in self._roots:
            inside = PurePosixPath(root.inside)
            if pure == inside or inside in pure.parents:
                return root, list(pure.relative_to(inside).parts)
        raise PathRefused(f"{path} is outside the sandbox's files; allowed are {self._names()}")

    def _names(self) -> str:
        return ", ".join(r.inside for r in self._roots)

    def _walk(
        self, root: Root, parts: builtins.list[str], flags: int, create_dirs: bool = False
    ) -> int:
        """Open `parts` under `root` without following any link out of it; return the fd."""
        try:
            root_fd = os.open(root.host, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise SandboxError(
                f"{root.inside} cannot be opened on the host ({exc.strerror});"
                " was the sandbox removed?"
            ) from None
        shown = root.inside + "/" + "/".join(parts)
        stack = [root_fd]
        queue = list(parts)
        links = steps = 0
        try:
            while True:
                steps += 1
                if steps > MAX_STEPS:
                    raise PathRefused(f"{shown} keeps changing while it is resolved")
                if not queue:
                    # The path is the root itself, or a directory reached through links.
                    return os.open(".", flags | os.O_CLOEXEC, dir_fd=stack[-1])
                name = queue.pop(0)
                if name == "..":
                    if len(stack) == 1:
                        raise PathRefused(f"{shown} leads out of {root.inside} through a symlink")
                    os.close(stack.pop())
                    continue
                last = not queue
                try:
                    info = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
                except FileNotFoundError:
                    if create_dirs:
                        _mkdir(name, stack[-1], self._owner)
                        queue.insert(0, name)
                        continue
                    if last and flags & os.O_CREAT:
                        return os.open(
                            name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=stack[-1]
                        )
                    raise PathRefused(f"{shown} does not exist") from None
                if stat.S_ISLNK(info.st_mode):
                    try:
                        target = os.readlink(name, dir_fd=stack[-1])
                    except OSError as exc:
                        if exc.errno in (errno.EINVAL, errno.ENOENT):
                            queue.insert(0, name)  # no longer a link: look again
                            continue
                        raise
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise PathRefused(f"{shown} has too many levels of symlinks")
                    queue[:0] = self._link_parts(root, target, shown, stack)
                    continue
                wants_dir = not last or bool(flags & os.O_DIRECTORY)
                if wants_dir and not stat.S_ISDIR(info.st_mode):
                    raise PathRefused(f"{shown}: {name} is not a directory")
                open_flags = flags if last else os.O_PATH | os.O_DIRECTORY
                try:
                    fd = os.open(name, open_flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1])
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
                        queue.insert(0, name)  # swapped since the stat: look again
                        continue
                    raise _refusal(shown, exc) from None
                if last:
                    return fd
                stack.append(fd)
        except OSError as exc:
            raise _refusal(shown, exc) from None
        finally:
            for fd in stack:
                os.close(fd)

    def _link_parts(
        self, root: Root, target: str, shown: str, stack: builtins.list[int]
    ) -> builtins.list[str]:
        pure = PurePosixPath(target)
        if not pure.is_absolute():
            return [p for p in pure.parts if p != "."]
        inside = PurePosixPath(root.inside)
        if pure != inside and inside not in pure.parents:
            raise PathRefused(f"{shown} is a symlink to {target}, outside {root.inside}")
        while len(stack) > 1:
            os.close(stack.pop())
        return list(pure.relative_to(inside).parts)


def _mkdir(name: str, dir_fd: int, owner: tuple[int, int] | None) -> None:
    try:
        os.mkdir(name, 0o755, dir_fd=dir_fd)
    except FileExistsError:
        return
    if owner is not None:
        os.chown(name, *owner, dir_fd=dir_fd, follow_symlinks=False)


def _kind(mode: int) -> Literal["file", "dir", "symlink", "other"]:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    return "other"


def _refusal(path: str, exc: OSError) -> SandboxError:
    if exc.errno == errno.ENOENT:
        return PathRefused(f"{path} does not exist")
    if exc.errno == errno.ELOOP:
        return PathRefused(
            f"{path} is a symlink; files are written only in place, never through a link"
        )
    if exc.errno in (errno.ENOTDIR, errno.EISDIR):
        return PathRefused(f"{path}: {(exc.strerror or str(exc)).lower()}")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PathRefused(f"{path}: {(exc.strerror or str(exc)).lower()}")
    return SandboxError(f"{path}: {exc.strerror or exc}")

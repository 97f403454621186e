"""The one interface every backend implements: `Sandbox`.

File access is shared by the backends: both keep the workspace and the read-only mounts as
host directories, read race-free by `sandbox.paths`, off the event loop.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Protocol

from sandbox.errors import SandboxError, SandboxGone
from sandbox.output import OutputCallback
from sandbox.paths import DEFAULT_MAX_READ, ConfinedFiles
from sandbox.results import DirEntry, ExecResult, SandboxStats
from sandbox.spec import WORKSPACE, SandboxSpec, _checked_env
from sandbox.users import file_owner

# A command given as one string runs through this shell.
SHELL = ("/bin/bash", "-c")


class SandboxFiles(Protocol):
    """A sandbox's files reached from the host: `sandbox.paths` or through the container."""

    def read(self, path: str, max_bytes: int = DEFAULT_MAX_READ) -> bytes: ...
    def write(self, path: str, data: bytes) -> None: ...
    def list(self, path: str) -> list[DirEntry]: ...


class Sandbox(ABC):
    """An isolated place to run one agent's commands; paths are as the sandbox sees them."""

    backend: str
    isolated: bool

    def __init__(self, sandbox_id: str, spec: SandboxSpec) -> None:
        self.id = sandbox_id
        self.spec = spec
        self._files: SandboxFiles = ConfinedFiles(spec.workspace, spec.mounts, owner=file_owner())
        self._removed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"

    @abstractmethod
    async def exec(
        self,
        cmd: list[str] | str,
        *,
        timeout: float | None = None,
        cwd: str = WORKSPACE,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        """Run a command; a string goes through bash. Output lines go to `on_output`."""

    async def read_file(self, path: str, *, max_bytes: int = DEFAULT_MAX_READ) -> bytes:
        self._check_present()
        return await asyncio.to_thread(self._files.read, path, max_bytes)

    async def write_file(self, path: str, data: bytes) -> None:
        self._check_present()
        await asyncio.to_thread(self._files.write, path, bytes(data))

    async def list_dir(self, path: str) -> list[DirEntry]:
        self._check_present()
        return await asyncio.to_thread(self._files.list, path)

    @abstractmethod
    async def pause(self) -> None:
        """Freeze every process: a paused sandbox uses no CPU."""

    @abstractmethod
    async def resume(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None:
        """Kill every process; files stay readable until `remove`."""

    @abstractmethod
    async def remove(self) -> None:
        """Stop and delete what the sandbox holds (the workspace directory stays)."""

    @abstractmethod
    async def stats(self) -> SandboxStats: ...

    @abstractmethod
    async def status(self) -> str:
        """One of `running`, `paused`, `stopped`, `removed`."""

    def _check_present(self) -> None:
        if self._removed:
            raise SandboxGone(f"sandbox {self.id} was removed")


def command_argv(cmd: list[str] | str) -> list[str]:
    if isinstance(cmd, str):
        return [*SHELL, cmd]
    if not cmd or not all(isinstance(part, str) for part in cmd):
        raise SandboxError("a command must be a non-empty string or list of strings")
    return list(cmd)


def inside_cwd(cwd: str) -> str:
    """The working directory inside; a relative one is taken under /workspace."""
    pure = PurePosixPath(cwd)
    if not pure.is_absolute():
        pure = PurePosixPath(WORKSPACE) / pure
    return str(pure)


def merged_env(
    base: Mapping[str, str], spec_env: Mapping[str, str], extra: Mapping[str, str] | None
) -> dict[str, str]:
    env = dict(base)
    env.update(spec_env)
    if extra:
        env.update(_checked_env(extra))
    return env

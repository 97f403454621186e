"""Typed, immutable records that the sandbox protocol hands back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The exit code of a command that was killed because it ran past its timeout (as `timeout`).
TIMEOUT_EXIT = 124


@dataclass(frozen=True)
class ExecResult:
    """The outcome of one command; `truncated` says that the output cap cut something.

    A command killed on its timeout has `timed_out=True` and exit code 124.
    """

    exit_code: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


@dataclass(frozen=True)
class DirEntry:
    """One entry of a directory listing; symlinks are reported, never followed."""

    name: str
    kind: Literal["file", "dir", "symlink", "other"]
    size: int


@dataclass(frozen=True)
class SandboxStats:
    """A sample of what a sandbox uses now; a figure that cannot be measured is None."""

    cpu_percent: float | None
    memory_bytes: int | None
    pids: int | None
    gpu: dict | None = None

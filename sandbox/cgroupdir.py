"""Removing a sandbox's cgroup directory, the same on both hierarchies (v1 and v2)."""

from __future__ import annotations

import errno
import time
from pathlib import Path

from sandbox.errors import SandboxError


def rmdir_when_released(path: Path, deadline: float = 2.0) -> None:
    """rmdir a cgroup; the kernel answers EBUSY while a killed process is still exiting."""
    end = time.monotonic() + deadline
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > end:
                raise SandboxError(f"cannot remove the cgroup {path}: {exc.strerror}") from None
            time.sleep(0.01)

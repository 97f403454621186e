"""Who commands run as: never root, and the workspace arranged so that this user owns it."""

from __future__ import annotations

import os
from pathlib import Path

# The user and group of commands when the engine is root (nobody/nogroup on Debian).
SANDBOX_UID = 65534
SANDBOX_GID = 65534


def engine_is_root() -> bool:
    return os.geteuid() == 0


def sandbox_user() -> tuple[int, int]:
    """Root hands commands to an unprivileged user; anyone else runs them as themselves."""
    if engine_is_root():
        return SANDBOX_UID, SANDBOX_GID
    return os.getuid(), os.getgid()


def file_owner() -> tuple[int, int] | None:
    """The owner to give files the engine writes into a workspace, or None to keep its own."""
    return sandbox_user() if engine_is_root() else None


def hand_over_workspace(workspace: Path) -> None:
    """Give the workspace and what is in it to the sandbox's user (only root needs to)."""
    owner = file_owner()
    if owner is None:
        return
    uid, gid = owner
    os.lchown(workspace, uid, gid)
    for top, dirs, files in os.walk(workspace, followlinks=False):
        for name in dirs + files:
            os.lchown(os.path.join(top, name), uid, gid)


def passwd_lines(uid: int, gid: int) -> tuple[str, str]:
    """/etc/passwd and /etc/group for a sandbox, so that user lookups by programs work."""
    passwd = f"root:x:0:0:root:/root:/bin/sh\nsandbox:x:{uid}:{gid}:sandbox:/tmp:/bin/sh\n"
    group = f"root:x:0:\nsandbox:x:{gid}:\n"
    return passwd, group

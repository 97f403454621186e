"""The command lines of a local sandbox: bubblewrap to make its namespaces, nsenter to enter them.

As root, bwrap makes the namespaces without a user namespace (root can) and commands drop to
the unprivileged user with `setpriv`, every capability gone; that way bwrap can bind a Python
installation under root's private home, which the sandbox's user could not reach by name.
Anyone else runs bwrap unprivileged, inside a user namespace, once per command.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from sandbox.gpu import device_nodes
from sandbox.runtime import HostRuntime, etc_entries, system_dirs
from sandbox.spec import WORKSPACE, SandboxSpec
from sandbox.users import engine_is_root, sandbox_user

_NAMESPACES_AS_ROOT = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
# Only what setpriv needs to become the sandbox's user; it then drops these too.
_CAPS_AS_ROOT = [
    "--cap-drop",
    "ALL",
    "--cap-add",
    "CAP_SETUID",
    "--cap-add",
    "CAP_SETGID",
    "--cap-add",
    "CAP_SETPCAP",
]


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def bwrap_argv(
    bwrap: str,
    spec: SandboxSpec,
    runtime: HostRuntime,
    etc_dir: Path,
    cwd: str,
    command: list[str],
    *,
    info_fd: int | None = None,
    holder: bool = False,
    outlive_engine: bool = False,
) -> list[str]:
    """bwrap's arguments: system dirs, the runtime and the bundle read-only, the workspace rw.

    A `holder` runs its command as a capability-less root that the sandbox's user cannot
    signal; commands then enter its namespaces (`nsenter_argv`). Only one asked to
    `outlive_engine` survives the engine's exit.
    """
    as_root = engine_is_root()
    args = [bwrap, "--new-session", "--hostname", "sandbox"]
    if not outlive_engine:
        args.append("--die-with-parent")
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    if as_root:
        args += _NAMESPACES_AS_ROOT + (["--cap-drop", "ALL"] if holder else _CAPS_AS_ROOT)
        args += [] if spec.network else ["--unshare-net"]
    else:
        args += ["--unshare-all"] + (["--share-net"] if spec.network else [])
        if can_disable_userns(bwrap):
            args += ["--unshare-user", "--disable-userns"]
    for path, link in system_dirs():
        args += ["--symlink", link, path] if link else ["--ro-bind", path, path]
    # /tmp is the sandbox user's HOME and TMPDIR: writable by it, also when bwrap runs as root.
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    for node in device_nodes(spec.gpus):
        args += ["--dev-bind", node, node]
    binds = [(entry, entry) for entry in etc_entries()]
    binds += [(str(etc_dir / name), f"/etc/{name}") for name in ("passwd", "group", "hosts")]
    binds += [(str(host), inside) for host, inside in runtime.python_mounts()]
    binds += [(str(host), inside) for inside, host in spec.mounts.items()]
    args += _open_parents([inside for _, inside in binds] + [WORKSPACE])
    for host, inside in binds:
        args += ["--ro-bind", host, inside]
    args += ["--bind", str(spec.workspace), WORKSPACE, "--chdir", cwd, "--"]
    if as_root and not holder:
        args += drop_to_sandbox_user()
    return args + command


@functools.cache
def can_disable_userns(bwrap: str) -> bool:
    """Whether this bwrap has `--disable-userns` (0.8 and later)."""
    try:
        usage = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return "--disable-userns" in usage.stdout


def options_in_fd(argv: list[str]) -> tuple[list[str], int]:
    """Move the options of `argv` (from `bwrap_argv`) into a file bwrap reads (`--args FD`),
    so that its command line, which a sandbox sees as /proc/1/cmdline, names none of the
    host's paths. The caller passes the returned fd to the child and closes it."""
    end = argv.index("--")
    fd = os.memfd_create("bwrap-args")
    os.write(fd, b"".join(arg.encode() + b"\0" for arg in argv[1:end]))
    os.lseek(fd, 0, os.SEEK_SET)
    return [argv[0], "--args", str(fd), *argv[end:]], fd


def drop_to_sandbox_user() -> list[str]:
    """setpriv to the sandbox's user, with no capability left and no way to regain one."""
    uid, gid = sandbox_user()
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]


def nsenter_argv(init_pid: int, cwd: str, command: list[str]) -> list[str]:
    """Enter every namespace of a holder (its root, and /workspace as the start), then drop."""
    chdir = [] if cwd == WORKSPACE else ["env", f"--chdir={cwd}"]
    return [
        "nsenter",
        "-t",
        str(init_pid),
        "-m",
        "-u",
        "-i",
        "-n",
        "-p",
        "-C",
        "-r",
        "-w",
        "--",
        *drop_to_sandbox_user(),
        *chdir,
        *command,
    ]


def _open_parents(paths: Iterable[str]) -> list[str]:
    """Make the directories above the mounts traversable: bwrap as root makes them 0700."""
    parents: list[str] = []
    for path in paths:
        for parent in reversed(PurePosixPath(path).parents):
            if str(parent) != "/" and str(parent) not in parents:
                parents.append(str(parent))
    args: list[str] = []
    for directory in parents:
        args += ["--perms", "0755", "--dir", directory]
    return args

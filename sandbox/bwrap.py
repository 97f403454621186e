"""The command line that starts one command of a local sandbox under bubblewrap.

As root, bwrap makes the namespaces without a user namespace (root can) and the command
drops to the unprivileged user with `setpriv`, every capability gone; that way bwrap can
bind a Python installation under root's private home, which the sandbox's user could not
reach by name. Anyone else runs bwrap unprivileged, inside a user namespace.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from sandbox.gpu import device_nodes
from sandbox.runtime import HostRuntime, etc_entries, system_dirs
from sandbox.spec import WORKSPACE, SandboxSpec
from sandbox.users import engine_is_root, sandbox_user

_NAMESPACES_AS_ROOT = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
# Only what setpriv needs to become the sandbox's user; it then drops these too.
_CAPS_AS_ROOT = ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                 "--cap-add", "CAP_SETPCAP"]


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def bwrap_argv(bwrap: str, spec: SandboxSpec, runtime: HostRuntime, etc_dir: Path,
               cwd: str, command: list[str]) -> list[str]:
    """bwrap's arguments: system dirs, the runtime and the bundle read-only, the workspace rw."""
    as_root = engine_is_root()
    args = [bwrap, "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if as_root:
        args += _NAMESPACES_AS_ROOT + _CAPS_AS_ROOT
        args += [] if spec.network else ["--unshare-net"]
    else:
        args += ["--unshare-all"] + (["--share-net"] if spec.network else [])
    for path, link in system_dirs():
        args += ["--symlink", link, path] if link else ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
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
    if as_root:
        uid, gid = sandbox_user()
        args += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return args + command


def _open_parents(paths) -> list[str]:
    """Make the directories above the mounts traversable: bwrap as root makes them 0700."""
    parents: list[str] = []
    for path in paths:
        for parent in reversed(PurePosixPath(path).parents):
            if str(parent) != "/" and str(parent) not in parents:
                parents.append(str(parent))
    args: list[str] = []
    for parent in parents:
        args += ["--perms", "0755", "--dir", parent]
    return args

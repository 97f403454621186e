"""The API's files in a run directory: the bearer token, the socket or a pointer to it, api.json.

- `token`: the run's bearer token, mode 0600, made once and kept, so a client that
  reattaches after a restart of the engine keeps working.
- `api.sock`: the Unix socket (mode 0600). A socket path longer than the kernel allows
  (~107 bytes) cannot be bound, so then the socket lives under the user's runtime directory
  and the run directory holds `api.sock.path`, a pointer to it; beside such a socket,
  `NAME.run` names the run directory, so a client given only the socket finds the token.
- `api.json`: where the engine listens (socket, port, host) and its pid, written while it
  serves and removed when it stops; a run with a live one is a running run.

While it serves, a run is also listed in the runtime directory (`active/RUN_ID`, a link to
its run directory), so that `http://127.0.0.1:PORT` finds the token of a run kept outside
the runs directory (`--run-dir`). A client given no TARGET never looks there: it reaches
only the runs `aar runs` lists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from engine.errors import EngineError

TOKEN = "token"
SOCKET = "api.sock"
POINTER = "api.sock.path"
INFO = "api.json"
# sun_path holds 108 bytes with its terminating NUL; leave a little room.
SOCKET_PATH_MAX = 104


def ensure_token(run_dir: Path) -> str:
    """The run's token, made (mode 0600) on first use."""
    path = run_dir / TOKEN
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_token(path)
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


def read_token(path: Path) -> str:
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        raise EngineError(f"no API token at {path}: is this a run directory?") from None
    except PermissionError:
        raise EngineError(f"cannot read the API token at {path}: permission denied") from None
    if not token:
        raise EngineError(f"the API token file {path} is empty")
    return token


def runtime_dir() -> Path:
    """A private directory for sockets whose run-dir path would be too long."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    root = Path(base) / "aar" if base else Path(tempfile.gettempdir()) / f"aar-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = root.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise EngineError(f"{root} is not a directory of this user; set XDG_RUNTIME_DIR")
    os.chmod(root, 0o700)
    return root


def socket_path_for(run_dir: Path) -> Path:
    """Where the run's socket goes: in the run directory, or the runtime dir when too long."""
    path = run_dir / SOCKET
    if len(os.fsencode(path)) <= SOCKET_PATH_MAX:
        return path
    digest = hashlib.sha256(os.fsencode(run_dir.resolve())).hexdigest()[:16]
    return runtime_dir() / f"{digest}.sock"


def publish_socket(run_dir: Path, socket: Path) -> None:
    """Leave the pointers a client needs to find a socket that is not in the run directory."""
    if socket.parent == run_dir:
        return
    (run_dir / POINTER).write_text(str(socket) + "\n")
    socket.with_suffix(".run").write_text(str(run_dir.resolve()) + "\n")


def find_socket(run_dir: Path) -> Path | None:
    """The run's socket, following the pointer file; None when neither exists."""
    pointer = run_dir / POINTER
    candidates = [run_dir / SOCKET]
    if pointer.exists():
        candidates.insert(0, Path(pointer.read_text().strip()))
    for path in candidates:
        if path.exists() and stat.S_ISSOCK(path.stat().st_mode):
            return path
    return None


def run_dir_of_socket(socket: Path) -> Path:
    """The run directory a socket belongs to (its own folder, or the one its `.run` names)."""
    if socket.name == SOCKET:
        return socket.parent
    back = socket.with_suffix(".run")
    if back.exists():
        return Path(back.read_text().strip())
    raise EngineError(f"{socket} is not an aar API socket (no {SOCKET} name and no {back.name})")


@dataclass(frozen=True)
class ApiInfo:
    """Where a serving engine listens; `api.json` in the run directory."""

    run_id: str
    pid: int
    socket: str | None
    port: int | None = None
    host: str | None = None

    def alive(self) -> bool:
        return pid_alive(self.pid)


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (an engine that ended, not yet reaped) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # The state follows the parenthesised name, which may itself hold spaces.
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc here: the signal's answer stands
    return state != "Z"


def write_info(run_dir: Path, info: ApiInfo) -> None:
    tmp = run_dir / (INFO + ".tmp")
    tmp.write_text(json.dumps(asdict(info)) + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(run_dir / INFO)


def read_info(run_dir: Path) -> ApiInfo | None:
    try:
        data = json.loads((run_dir / INFO).read_text())
        return ApiInfo(**data)
    except (FileNotFoundError, NotADirectoryError, ValueError, TypeError):
        return None


def remove_files(run_dir: Path, socket: Path | None) -> None:
    """Remove what only a serving engine should leave: api.json, the socket, its pointers."""
    paths = [run_dir / INFO, run_dir / POINTER]
    if socket is not None:
        paths += [socket, socket.with_suffix(".run")] if socket.parent != run_dir else [socket]
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _active_dir() -> Path:
    path = runtime_dir() / "active"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def register_active(run_dir: Path, run_id: str) -> None:
    link = _active_dir() / run_id
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(run_dir.resolve())


def unregister_active(run_dir: Path, run_id: str) -> None:
    link = _active_dir() / run_id
    with contextlib.suppress(OSError):
        if link.resolve() == run_dir.resolve():
            link.unlink()


def active_runs() -> list[Path]:
    """Run directories listed as serving in the runtime directory (some may have died)."""
    try:
        return [link.resolve() for link in _active_dir().iterdir() if link.is_symlink()]
    except EngineError:
        return []

"""A sandbox's files read and written from inside its own container, for remote engines.

When the Docker engine runs on another machine, the workspace is a volume there and no
host path exists here. Each call then runs a short Python program in the container, as
the sandbox's user, that applies the very same race-free walk as local access
(`sandbox.paths.ConfinedFiles`: one component at a time, `O_NOFOLLOW`, symlinks resolved
by hand and refused when they lead out of /workspace or a read-only mount). The program is
sent with the sources of the modules it needs, so any image with Python serves, and it
answers with raw bytes on stdout or a JSON error on stderr that is raised here as the same
error class local access raises. A paused container takes no exec: reads and listings then
run in a one-off twin container with the same mounts; writes wait for the resume.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import sandbox.errors
from sandbox.dockerexec import close_socket
from sandbox.errors import PathRefused, SandboxError, SandboxGone
from sandbox.paths import DEFAULT_MAX_READ
from sandbox.results import DirEntry
from sandbox.spec import WORKSPACE

# The modules the walk needs, all of them standard-library only.
_MODULES = ("errors", "results", "spec", "paths")

# Runs inside: installs the shipped modules as the `sandbox` package, then does one call.
# The request is argv[1]; a write's data follows on stdin, its length given in the request
# so that no end-of-file is needed (an ssh transport cannot half-close).
_PROGRAM = r"""
import json, sys, types
req = json.loads(sys.argv[1])
pkg = types.ModuleType("sandbox"); pkg.__path__ = []; sys.modules["sandbox"] = pkg
for name in req["order"]:
    mod = types.ModuleType("sandbox." + name)
    sys.modules[mod.__name__] = mod
    setattr(pkg, name, mod)
    exec(compile(req["sources"][name], "sandbox/" + name + ".py", "exec"), mod.__dict__)
from pathlib import Path
from sandbox.errors import SandboxError
from sandbox.paths import ConfinedFiles
files = ConfinedFiles(Path("/workspace"), {t: Path(t) for t in req["mounts"]})
try:
    if req["op"] == "read":
        sys.stdout.buffer.write(files.read(req["path"], req["max_bytes"]))
    elif req["op"] == "write":
        data, size = bytearray(), req["size"]
        while len(data) < size:
            chunk = sys.stdin.buffer.read1(size - len(data))
            if not chunk:
                raise SandboxError("the data to write ended early")
            data += chunk
        files.write(req["path"], bytes(data))
    else:
        out = [[e.name, e.kind, e.size] for e in files.list(req["path"])]
        sys.stdout.write(json.dumps(out))
except SandboxError as exc:
    sys.stderr.write(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
    sys.exit(3)  # a refusal: the host raises the error named on stderr
"""


@cache
def _sources() -> dict[str, str]:
    here = Path(__file__).parent
    return {name: (here / f"{name}.py").read_text() for name in _MODULES}


class ContainerFiles:
    """The files of one sandbox, reached through execs in its container (blocking calls)."""

    def __init__(
        self, api: Any, container_id: str, mounts: Mapping[str, Path], user: str, name: str
    ) -> None:
        self._api = api
        self._container_id = container_id
        self._mounts = sorted(mounts)
        self._user = user
        self._name = name

    def read(self, path: str, max_bytes: int = DEFAULT_MAX_READ) -> bytes:
        return self._call({"op": "read", "path": path, "max_bytes": max_bytes})

    def write(self, path: str, data: bytes) -> None:
        self._call({"op": "write", "path": path, "size": len(data)}, stdin=data)

    def list(self, path: str) -> list[DirEntry]:
        rows = json.loads(self._call({"op": "list", "path": path}))
        return [DirEntry(name, kind, size) for name, kind, size in rows]

    def _call(self, request: dict[str, Any], stdin: bytes | None = None) -> bytes:
        if not isinstance(request["path"], str):
            raise PathRefused(f"{request['path']!r} is not a path")
        request = {**request, "mounts": self._mounts, "order": _MODULES, "sources": _sources()}
        argv = ["python", "-S", "-c", _PROGRAM, json.dumps(request)]
        import docker

        try:
            try:
                code, out, err = _exec_bytes(self._api, self._container_id, argv, self._user, stdin)
            except docker.errors.APIError as exc:
                if "paused" not in str(exc.explanation or exc):
                    raise
                if stdin is not None:
                    raise SandboxError(
                        f"sandbox {self._name} is paused: files are written into it once it"
                        " is resumed"
                    ) from None
                code, out, err = _run_beside(self._api, self._container_id, argv, self._user)
        except docker.errors.NotFound:
            raise SandboxGone(f"the container of sandbox {self._name} is gone") from None
        except docker.errors.APIError as exc:
            raise SandboxError(
                f"the files of sandbox {self._name} cannot be reached: {exc.explanation or exc}"
            ) from None
        if code == 0:
            return out
        raise _error_from(err, code, self._name)


def _error_from(err: bytes, code: int, name: str) -> SandboxError:
    try:
        answer = json.loads(err)
        kind = getattr(sandbox.errors, answer["error"], SandboxError)
        if isinstance(kind, type) and issubclass(kind, SandboxError):
            return kind(answer["message"])
    except (ValueError, KeyError, TypeError):
        pass
    text = err.decode(errors="replace").strip()[-500:]
    return SandboxError(
        f"file access inside sandbox {name} failed (exit {code}); is python on its PATH? {text}"
    )


def _run_beside(
    api: Any, container_id: str, argv: list[str], user: str
) -> tuple[int, bytes, bytes]:
    """Run argv in a one-off twin of a paused container: same image, mounts and user.

    A paused container takes no exec, yet its files stay readable: the twin sees the same
    workspace and read-only mounts, and nothing more (no network, no capability).
    """
    from docker.utils.socket import STDERR, frames_iter

    info = api.inspect_container(container_id)
    host = info["HostConfig"]
    host_config = api.create_host_config(
        mounts=host.get("Mounts") or [],
        binds=host.get("Binds") or None,
        tmpfs=host.get("Tmpfs") or None,
        network_mode="none",
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        read_only=True,
    )
    twin = api.create_container(
        info["Config"]["Image"],
        argv,
        user=user,
        environment=info["Config"].get("Env"),
        working_dir=WORKSPACE,
        host_config=host_config,
    )["Id"]
    out, err = bytearray(), bytearray()
    try:
        # Attached before it starts, so that no byte is missed; raw frames keep binary data.
        sock = api.attach_socket(twin, params={"stdout": 1, "stderr": 1, "stream": 1})
        try:
            api.start(twin)
            for stream, data in frames_iter(sock, tty=False):
                (err if stream == STDERR else out).extend(data)
        finally:
            close_socket(sock)
        code = api.wait(twin).get("StatusCode", -1)
    finally:
        api.remove_container(twin, force=True)
    return code, bytes(out), bytes(err)


def _exec_bytes(
    api: Any, container_id: str, argv: list[str], user: str, stdin: bytes | None
) -> tuple[int, bytes, bytes]:
    """Run argv in the container and return its exit status, stdout and stderr as bytes."""
    from docker.utils.socket import STDERR, frames_iter

    exec_id = api.exec_create(container_id, argv, stdin=stdin is not None, user=user)["Id"]
    out, err = bytearray(), bytearray()
    # Always through the raw socket: the SDK's own reading closes an ssh transport in a
    # way that raises once the far side has ended.
    sock = api.exec_start(exec_id, socket=True)
    try:
        if stdin is not None:
            getattr(sock, "_sock", sock).sendall(stdin)
        for stream, data in frames_iter(sock, tty=False):
            (err if stream == STDERR else out).extend(data)
    finally:
        close_socket(sock)
    code = api.exec_inspect(exec_id).get("ExitCode")
    return (code if code is not None else -1), bytes(out), bytes(err)

"""One command in a running container, through the SDK's low-level exec API.

The exec's raw socket carries stdin and the multiplexed output, so output reaches the
callback line by line as it comes. A timeout kills every process of the sandbox's user
in the container, which reaches `setsid` children too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox.output import OutputCallback, StreamCapture, captured_result
from sandbox.results import TIMEOUT_EXIT, ExecResult

# Run as the sandbox's user: kills every process of that user but the killing shell. The
# container's init and keep-alive run as a user without capabilities that this one cannot
# signal, so the container stays up.
KILL_ALL = ["/bin/sh", "-c", "kill -9 -1"]
# After a kill, how long the output stream may take to end.
DRAIN_S = 30.0
# A running command holds a thread for as long as it runs (a training run: hours), so the
# streams get their own pool rather than the event loop's small default one.
_STREAMS = ThreadPoolExecutor(max_workers=512, thread_name_prefix="docker-exec")


def _run_blocking(
    api: Any,
    container_id: str,
    argv: list[str],
    cwd: str,
    env: Mapping[str, str],
    stdin: bytes | None,
    user: str,
    out: StreamCapture,
    err: StreamCapture,
) -> int:
    from docker.utils.socket import STDERR, frames_iter

    exec_id = api.exec_create(
        container_id,
        argv,
        stdin=stdin is not None,
        user=user,
        workdir=cwd,
        environment=dict(env) or None,
    )["Id"]
    sock = api.exec_start(exec_id, socket=True)
    raw = getattr(sock, "_sock", sock)
    try:
        if stdin is not None:
            raw.sendall(stdin)
            close_stdin(raw)
        for stream, data in frames_iter(sock, tty=False):
            (err if stream == STDERR else out).feed(data)
    finally:
        close_socket(sock)
    out.close()
    err.close()
    code = api.exec_inspect(exec_id).get("ExitCode")
    return code if code is not None else -1


async def run(
    api: Any,
    container_id: str,
    argv: list[str],
    *,
    cwd: str,
    env: Mapping[str, str],
    stdin: bytes | None,
    timeout: float | None,
    on_output: OutputCallback | None,
    limit: int,
    user: str,
) -> ExecResult:
    loop = asyncio.get_running_loop()
    relay = None
    if on_output is not None:

        def relay(stream: str, line: str) -> None:
            loop.call_soon_threadsafe(on_output, stream, line)

    out = StreamCapture("stdout", limit, relay)
    err = StreamCapture("stderr", limit, relay)
    started = time.monotonic()
    task = loop.run_in_executor(
        _STREAMS,
        functools.partial(_run_blocking, api, container_id, argv, cwd, env, stdin, user, out, err),
    )
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        # The caller gave up on the command: it must not run on unseen.
        await asyncio.shield(asyncio.to_thread(kill_all, api, container_id, user))
        raise
    timed_out = not done
    if timed_out:
        await asyncio.to_thread(kill_all, api, container_id, user)
        await asyncio.wait({task}, timeout=DRAIN_S)
    code = TIMEOUT_EXIT if timed_out else await task
    return captured_result(code, out, err, started=started, timed_out=timed_out)


def close_socket(sock: Any) -> None:
    """Close an exec's socket; the ssh transport's raises when its ssh has already ended."""
    try:
        sock.close()
    except OSError:
        proc = getattr(getattr(sock, "_sock", sock), "proc", None)
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.terminate()


def close_stdin(raw: Any) -> None:
    """Half-close a command's stdin: a socket shuts down its writing side, and the pipe to
    an `ssh` transport (which has no socket to shut down) is closed."""
    proc = getattr(raw, "proc", None)
    if proc is not None and proc.stdin is not None:
        proc.stdin.close()
        return
    raw.shutdown(socket.SHUT_WR)


def kill_all(api: Any, container_id: str, user: str) -> None:
    """SIGKILL every process of the sandbox's user in the container, init excepted."""
    from docker.utils.socket import read

    exec_id = api.exec_create(container_id, KILL_ALL, user=user)["Id"]
    sock = api.exec_start(exec_id, socket=True)
    try:
        while read(sock, 4096):
            pass  # the kill is done when its (empty) output ends
    finally:
        close_socket(sock)

"""One command of a local sandbox as a child process: its output, stdin, timeout and kill."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sandbox.output import OutputCallback, StreamCapture, captured_result
from sandbox.results import TIMEOUT_EXIT, ExecResult

# A background job may keep the pipes open after the command exits: its output is taken
# for this long, then the command's result is handed back without waiting for the job.
DRAIN_AFTER_EXIT_S = 0.5
EXIT_POLL_S = 0.05


async def collect(
    proc: asyncio.subprocess.Process,
    *,
    stdin: bytes | None,
    timeout: float | None,
    on_output: OutputCallback | None,
    limit: int,
    started: float,
    kill: Callable[[int], None],
) -> ExecResult:
    """Wait for the command; on a timeout or a cancellation, `kill(pid)` takes it down."""
    out = StreamCapture("stdout", limit, on_output)
    err = StreamCapture("stderr", limit, on_output)
    tasks = [
        asyncio.create_task(_pump(proc.stdout, out)),
        asyncio.create_task(_pump(proc.stderr, err)),
    ]
    pumps = list(tasks)
    if stdin is not None:
        tasks.append(asyncio.create_task(_feed(proc, stdin)))
    timed_out = False
    try:
        try:
            async with asyncio.timeout(timeout):
                await _exit_or_eof(proc, pumps)
        except TimeoutError:
            timed_out = True
    finally:
        if proc.returncode is None:
            kill(proc.pid)
            await _exit_or_eof(proc, pumps)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not all(p.done() and not p.cancelled() for p in pumps):
            # A background job still holds the pipes: close our ends rather than leave it
            # blocked on a full pipe that nobody reads (it gets EPIPE, as on a closed tty).
            transport = getattr(proc, "_transport", None)
            if transport is not None:
                transport.close()
    out.close()
    err.close()
    # _exit_or_eof returns only once the command has exited, so its status is known.
    assert proc.returncode is not None
    code = TIMEOUT_EXIT if timed_out else proc.returncode
    return captured_result(code, out, err, started=started, timed_out=timed_out)


async def _exit_or_eof(proc: asyncio.subprocess.Process, pumps: list[asyncio.Task]) -> None:
    """Until the output ends, or the command has exited and its output had a moment more.

    `proc.wait()` would also wait for every holder of the pipes, a background job included.
    """
    eof = asyncio.ensure_future(asyncio.wait(pumps))
    try:
        while not eof.done() and proc.returncode is None:
            await asyncio.wait({eof}, timeout=EXIT_POLL_S)
        if eof.done():
            await proc.wait()  # the pipes are closed: this is the exit status, at once
        else:
            await asyncio.wait({eof}, timeout=DRAIN_AFTER_EXIT_S)
    finally:
        eof.cancel()


async def _pump(stream: asyncio.StreamReader | None, capture: StreamCapture) -> None:
    if stream is None:
        return
    while chunk := await stream.read(65536):
        capture.feed(chunk)


async def _feed(proc: asyncio.subprocess.Process, data: bytes) -> None:
    if proc.stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        proc.stdin.write(data)
        await proc.stdin.drain()
        proc.stdin.close()

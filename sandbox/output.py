"""Capped capture of a command's output, with lines streamed to a callback as they come.

The cap keeps the head and the tail of a stream (the last lines of a training run are the
ones that matter) and says in the text how many bytes were cut in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sandbox.results import ExecResult

OutputCallback = Callable[[str, str], None]
# A line without an end is handed to the callback in pieces of this size.
MAX_LINE = 65536


class StreamCapture:
    """One stream (`stdout` or `stderr`) of one command, capped at `limit` bytes."""

    def __init__(self, name: str, limit: int, on_output: OutputCallback | None = None) -> None:
        self.name = name
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self._cut = 0
        self._pending = bytearray()
        self._on_output = on_output

    @property
    def truncated(self) -> bool:
        return self._cut > 0

    def feed(self, data: bytes) -> None:
        if not data:
            return
        self._keep(data)
        if self._on_output is not None:
            self._pending += data
            *lines, rest = self._pending.split(b"\n")
            self._pending = bytearray(rest)
            for line in lines:
                self._on_output(self.name, line.decode("utf-8", "replace"))
            if len(self._pending) > MAX_LINE:
                self.close()

    def close(self) -> None:
        """Hand a last line without a newline to the callback."""
        if self._on_output is not None and self._pending:
            self._on_output(self.name, self._pending.decode("utf-8", "replace"))
        self._pending.clear()

    def text(self) -> str:
        head = self._head.decode("utf-8", "replace")
        tail = self._tail.decode("utf-8", "replace")
        if not self._cut:
            return head + tail
        return f"{head}\n[... {self._cut} bytes cut by the output cap ...]\n{tail}"

    def _keep(self, data: bytes) -> None:
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            overflow = len(self._tail) - self._tail_limit
            if overflow > 0:
                self._cut += overflow
                del self._tail[:overflow]


def captured_result(
    exit_code: int, out: StreamCapture, err: StreamCapture, *, started: float, timed_out: bool
) -> ExecResult:
    """The result of a command whose streams went to `out` and `err`, begun at `started`."""
    return ExecResult(
        exit_code=exit_code,
        stdout=out.text(),
        stderr=err.text(),
        duration=time.monotonic() - started,
        timed_out=timed_out,
        truncated=out.truncated or err.truncated,
    )

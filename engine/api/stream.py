"""Live events as Server-Sent Events, from a `seq`, with a bound on how far a client may lag.

A pump task reads the view's event iterator into a bounded queue; the response writes
from the queue. A client that reads too slowly fills its queue; once the queue has stayed
full for `stall_seconds` the pump lets go of the engine's iterator (so the engine keeps
its pace), the queued events are dropped and the stream ends with a `cut` event. The
client reconnects with `Last-Event-ID` and resumes from the last event it received, so
it misses nothing. When the run has finished (or its log closes) the stream ends with an
`end` event.

Wire format, per event: `id: SEQ`, `event: event`, `data: <Event as JSON>`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from engine.events import Event, RunState, RunStatePayload
from engine.view import EngineView

# Events written to the socket in one go when several are waiting.
WRITE_BATCH = 256


@dataclass(frozen=True)
class StreamLimits:
    queue: int = 5000  # events held for one client
    stall_seconds: float = 5.0  # how long its queue may stay full before it is cut
    keepalive: float = 15.0  # a comment line this often, so dead peers are noticed


@dataclass
class StreamStats:
    open: int = 0
    cut: int = 0
    sent: int = 0


_END = "end"
_CUT = "cut"


def format_event(event: Event) -> bytes:
    return f"id: {event.seq}\nevent: event\ndata: {event.model_dump_json()}\n\n".encode()


def _run_finished(event: Event) -> bool:
    payload = event.payload
    return isinstance(payload, RunStatePayload) and payload.state == RunState.FINISHED


def _control(name: str) -> bytes:
    return f"event: {name}\ndata: {{}}\n\n".encode()


async def _pump(
    view: EngineView, after_seq: int, queue: asyncio.Queue, limits: StreamLimits
) -> None:
    events = view.events(after_seq)
    try:
        async for event in events:
            if queue.full():  # a timeout only when it must wait: one per event costs
                async with asyncio.timeout(limits.stall_seconds):
                    await queue.put(event)
            else:
                queue.put_nowait(event)
            if _run_finished(event):
                break  # nothing follows the end of the run: let clients stop following
        await queue.put(_END)
    except Exception:
        # Too slow a reader (the timeout), or a view that broke: drop what is queued and
        # end the stream with `cut`, so the client resumes from its last event.
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(_CUT)
    finally:
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()


async def event_stream(
    view: EngineView, after_seq: int, limits: StreamLimits, stats: StreamStats
) -> AsyncIterator[bytes]:
    queue: asyncio.Queue = asyncio.Queue(maxsize=limits.queue)
    pump = asyncio.create_task(_pump(view, after_seq, queue, limits), name="sse-pump")
    stats.open += 1
    try:
        yield b": stream open\n\n"
        while True:
            try:
                async with asyncio.timeout(limits.keepalive):
                    item = await queue.get()
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            batch = [item]
            while len(batch) < WRITE_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            chunk = bytearray()
            for item in batch:
                if isinstance(item, str):  # _END or _CUT: the last thing on this stream
                    stats.cut += item == _CUT
                    yield bytes(chunk + _control(item))
                    return
                chunk += format_event(item)
            stats.sent += len(batch)
            yield bytes(chunk)
    finally:
        stats.open -= 1
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump

"""The append-only event log: run-wide `seq`, batched commits, delivery after commit.

`append()` is cheap and synchronous: it numbers the event and queues it. A writer task
commits queued events in batches and only then hands them to subscribers (and to the
`on_commit` hooks that keep the snapshot current), so no client ever sees a `seq` that a
crash could reuse. A subscriber that falls more than `bound` events behind is dropped
from live delivery and catches up from the store from its last `seq`: a slow client
never slows the engine and never misses an event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable

from engine.events import Event, Payload, now, payload_from_json
from engine.store import Store

BATCH_MAX = 5000
SUBSCRIBER_BOUND = 10_000


class _Subscriber:
    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.buffer: deque[Event] = deque()
        self.dropped = False
        self.wake = asyncio.Event()

    def offer(self, batch: list[Event]) -> None:
        if self.dropped:
            return
        if len(self.buffer) + len(batch) > self.bound:
            # Past the bound: stop buffering; the reader resumes from the store.
            self.dropped = True
            self.buffer.clear()
        else:
            self.buffer.extend(batch)
        self.wake.set()


class EventLog:
    def __init__(self, store: Store, *, subscriber_bound: int = SUBSCRIBER_BOUND) -> None:
        self.store = store
        self.subscriber_bound = subscriber_bound
        self.on_commit: list[Callable[[list[Event]], None]] = []
        self.drops = 0
        self._pending: list[Event] = []
        self._next_seq = 1
        self._committed_seq = 0
        self._subscribers: set[_Subscriber] = set()
        self._wake = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._closed = False
        self._writer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        row = await self.store.fetchone("SELECT COALESCE(MAX(seq), 0) FROM events")
        self._committed_seq = row[0] if row else 0
        self._next_seq = self._committed_seq + 1
        self._writer = asyncio.create_task(self._write_loop(), name="eventlog-writer")

    @property
    def committed_seq(self) -> int:
        return self._committed_seq

    def append(self, agent_id: str | None, payload: Payload) -> Event:
        if self._closed:
            raise RuntimeError("the event log is closed")
        event = Event.of(self._next_seq, now(), agent_id, payload)
        self._next_seq += 1
        self._pending.append(event)
        self._wake.set()
        return event

    async def flush(self) -> int:
        """Wait until every event appended so far is committed and delivered; its last seq."""
        target = self._next_seq - 1
        if self._committed_seq >= target:
            return target
        if self._writer is None or self._writer.done():
            raise RuntimeError("the event log is not running")
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        await waiter
        return target

    async def close(self) -> None:
        if self._writer is None:
            return
        await self.flush()
        self._closed = True
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        for sub in self._subscribers:
            sub.wake.set()

    async def _write_loop(self) -> None:
        try:
            await self._write_batches()
        except Exception as exc:
            # The store cannot take events (disk full, file gone): nobody may wait forever.
            for _, waiter in self._waiters:
                if not waiter.done():
                    waiter.set_exception(RuntimeError(f"the event log stopped: {exc}"))
            self._waiters = []
            raise

    async def _write_batches(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[:BATCH_MAX]
                del self._pending[:BATCH_MAX]
                rows = [
                    (e.seq, e.ts, e.agent_id, e.payload.kind, e.payload.model_dump_json())
                    for e in batch
                ]
                async with self.store.write() as db:
                    await db.executemany(
                        "INSERT INTO events (seq, ts, agent_id, kind, payload) VALUES (?,?,?,?,?)",
                        rows,
                    )
                self._deliver(batch)

    def _deliver(self, batch: list[Event]) -> None:
        self._committed_seq = batch[-1].seq
        for hook in self.on_commit:
            hook(batch)
        for sub in self._subscribers:
            was_dropped = sub.dropped
            sub.offer(batch)
            if sub.dropped and not was_dropped:
                self.drops += 1
        still = []
        for target, waiter in self._waiters:
            if target <= self._committed_seq:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still.append((target, waiter))
        self._waiters = still

    async def read(
        self,
        after_seq: int,
        *,
        limit: int = 1000,
        agent_id: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[Event]:
        """Committed events after `after_seq`, oldest first."""
        sql = "SELECT seq, ts, agent_id, payload FROM events WHERE seq > ? AND seq <= ?"
        params: list[object] = [after_seq, self._committed_seq]
        if agent_id is not None:
            sql += " AND agent_id = ?"
            params.append(agent_id)
        if kinds is not None:
            kinds = list(kinds)
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params.extend(kinds)
        sql += " ORDER BY seq LIMIT ?"
        params.append(limit)
        rows = await self.store.fetchall(sql, tuple(params))
        return [
            Event(seq=s, ts=ts, agent_id=a, payload=payload_from_json(p)) for s, ts, a, p in rows
        ]

    async def subscribe(self, after_seq: int = 0) -> AsyncIterator[Event]:
        """Every committed event after `after_seq`, in order, live; ends when the log closes."""
        last = after_seq
        while not self._closed:
            sub = _Subscriber(self.subscriber_bound)
            self._subscribers.add(sub)
            try:
                # Catch up from the store; events committed meanwhile also land in the buffer.
                while True:
                    older = await self.read(last, limit=1000)
                    if not older:
                        break
                    for event in older:
                        last = event.seq
                        yield event
                while not sub.dropped:
                    while sub.buffer:
                        event = sub.buffer.popleft()
                        if event.seq > last:
                            last = event.seq
                            yield event
                        if sub.dropped:
                            break
                    if sub.dropped or self._closed:
                        break
                    sub.wake.clear()
                    await sub.wake.wait()
            finally:
                self._subscribers.discard(sub)

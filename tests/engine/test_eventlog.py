"""The event log: run-wide seq, delivery only after commit, slow subscribers resume."""

from __future__ import annotations

import asyncio
import sqlite3

from engine.eventlog import EventLog
from engine.events import TextDeltaPayload


async def _collect(it, n):
    out = []
    async for event in it:
        out.append(event)
        if len(out) == n:
            break
    return out


async def test_seq_grows_by_one_across_agents(log):
    seqs = [log.append(f"a{i % 3}", TextDeltaPayload(text=str(i))).seq for i in range(10)]
    assert seqs == list(range(1, 11))
    await log.flush()
    events = await log.read(0)
    assert [e.seq for e in events] == seqs
    assert events[4].payload.text == "4"


async def test_subscriber_sees_an_event_only_after_it_is_committed(log, store):
    seen = []

    async def follow():
        async for event in log.subscribe(0):
            # Read the row from a second connection: the event must already be on disk.
            con = sqlite3.connect(store.path)
            row = con.execute("SELECT seq FROM events WHERE seq = ?", (event.seq,)).fetchone()
            con.close()
            seen.append((event.seq, row is not None))
            if len(seen) == 50:
                return

    task = asyncio.create_task(follow())
    await asyncio.sleep(0)
    for i in range(50):
        log.append(None, TextDeltaPayload(text=str(i)))
    await asyncio.wait_for(task, 10)
    assert [s for s, _ in seen] == list(range(1, 51))
    assert all(on_disk for _, on_disk in seen)


async def test_a_slow_subscriber_is_dropped_and_resumes_from_its_seq(store):
    log = EventLog(store, subscriber_bound=20)
    await log.start()
    log.append(None, TextDeltaPayload(text="first"))
    it = log.subscribe(0)
    first = await asyncio.wait_for(anext(it), 5)  # registered; now it reads nothing for a while
    assert first.seq == 1
    for i in range(1, 500):
        log.append(None, TextDeltaPayload(text=str(i)))
        if i % 50 == 0:
            await asyncio.sleep(0)
    await log.flush()
    assert log.drops >= 1
    rest = await asyncio.wait_for(_collect(it, 499), 10)
    assert [e.seq for e in rest] == list(range(2, 501))
    await it.aclose()
    await log.close()


async def test_a_client_resumes_from_its_last_seq_without_missing_any(log):
    for i in range(30):
        log.append(None, TextDeltaPayload(text=str(i)))
    await log.flush()
    resumed = await asyncio.wait_for(_collect(log.subscribe(17), 13), 5)
    assert [e.seq for e in resumed] == list(range(18, 31))


async def test_seq_continues_after_reopening_the_store(store):
    log = EventLog(store)
    await log.start()
    for _ in range(5):
        log.append(None, TextDeltaPayload(text="x"))
    await log.close()
    again = EventLog(store)
    await again.start()
    assert again.append(None, TextDeltaPayload(text="y")).seq == 6
    await again.close()

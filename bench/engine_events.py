"""Event throughput: events appended and delivered (after commit) to a subscriber, per second,
beside raw batched inserts into the same kind of file in the same run.

    python bench/engine_events.py [--events 200000] [--batch 500]

Figures: sqlite3 and aiosqlite executemany in batches into the engine's events table (same
schema, same index), one commit per event (on fewer rows), and the engine's event log
(pydantic records, seq, JSON, batched commit, then delivery to a subscriber). Target: the
engine at least a quarter of raw aiosqlite. On a shared machine the figures move from run to
run; compare the ratios, which are taken within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

# bench/ leads sys.path when a script runs from it, and bench/sandbox.py would shadow the
# sandbox package that the engine imports: put the repository first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiosqlite

from engine.eventlog import EventLog
from engine.events import TextDeltaPayload
from engine.process import tune_gc
from engine.store import SCHEMA as ENGINE_SCHEMA
from engine.store import Store

PAYLOAD = "x" * 160  # with the envelope, a JSON payload of about 200 bytes
INSERT = "INSERT INTO events (seq, ts, agent_id, kind, payload) VALUES (?,?,?,?,?)"
# The raw inserts go into the engine's own events table (with its per-agent index), so the
# comparison is of the same rows into the same file layout.
SCHEMA = ENGINE_SCHEMA


def _rows(n: int) -> list[tuple]:
    body = TextDeltaPayload(text=PAYLOAD).model_dump_json()
    return [(i + 1, time.time(), "a1", "text_delta", body) for i in range(n)]


def raw_sqlite(path: Path, n: int, batch: int) -> float:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(SCHEMA)
    rows = _rows(n)
    start = time.perf_counter()
    for i in range(0, n, batch):
        con.executemany(INSERT, rows[i : i + batch])
        con.commit()
    elapsed = time.perf_counter() - start
    con.close()
    return n / elapsed


async def raw_aiosqlite(path: Path, n: int, batch: int, per_event: bool = False) -> float:
    db = await aiosqlite.connect(path)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.executescript(SCHEMA)
    rows = _rows(n)
    start = time.perf_counter()
    if per_event:
        for row in rows:
            await db.execute(INSERT, row)
            await db.commit()
    else:
        for i in range(0, n, batch):
            await db.executemany(INSERT, rows[i : i + batch])
            await db.commit()
    elapsed = time.perf_counter() - start
    await db.close()
    return n / elapsed


async def engine_log(path: Path, n: int) -> tuple[float, float]:
    tune_gc()  # as Engine.open does for an engine process
    store = await Store.open(path)
    log = EventLog(store, subscriber_bound=n + 1)
    await log.start()
    received = 0
    done = asyncio.Event()

    async def follow() -> None:
        nonlocal received
        async for _ in log.subscribe(0):
            received += 1
            if received == n:
                done.set()
                return

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    # Appends come in bursts from many agents; yield now and then as a running engine does.
    for i in range(n):
        log.append("a1", TextDeltaPayload(text=PAYLOAD))
        if i % 1000 == 999:
            await asyncio.sleep(0)
    appended = time.perf_counter() - start
    await done.wait()
    delivered = time.perf_counter() - start
    await follower
    await log.close()
    await store.close()
    return n / appended, n / delivered


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    n, batch = args.events, args.batch
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        s3 = raw_sqlite(d / "raw.sqlite", n, batch)
        a3 = await raw_aiosqlite(d / "araw.sqlite", n, batch)
        one = await raw_aiosqlite(d / "one.sqlite", min(n, 5000), batch, per_event=True)
        appended, delivered = await engine_log(d / "engine.sqlite", n)
    print(f"events: {n}, payload ~200 bytes, batches of {batch}")
    print(f"  sqlite3 executemany            {s3:>10,.0f} /s")
    print(f"  aiosqlite executemany          {a3:>10,.0f} /s")
    print(f"  aiosqlite, one commit per event {one:>9,.0f} /s")
    print(f"  engine log: appended           {appended:>10,.0f} /s")
    print(f"  engine log: delivered (committed) {delivered:>7,.0f} /s")
    print(f"  delivered / raw aiosqlite      {delivered / a3:>10.2f}  (target >= 0.25)")
    print(f"  delivered / raw sqlite3        {delivered / s3:>10.2f}")


if __name__ == "__main__":
    asyncio.run(main())

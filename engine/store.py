"""The run's SQLite store (WAL): its schema and one connection shared by every writer.

Writers take `write()` so a transaction of one part never interleaves with another's
commit; the event log (`engine.eventlog`) batches its inserts through the same lock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from engine.migrations import STEPS, migrate

# The first schema; later versions add what `engine.migrations.STEPS` holds.
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, config TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS agents (
    id TEXT PRIMARY KEY, direction TEXT NOT NULL, brain TEXT NOT NULL, model TEXT,
    sandbox_backend TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, ts REAL NOT NULL, agent_id TEXT, kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_agent ON events (agent_id, seq);
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, author TEXT NOT NULL, kind TEXT NOT NULL,
    title TEXT NOT NULL, body TEXT NOT NULL, tags TEXT NOT NULL, metrics TEXT NOT NULL,
    parent_id INTEGER REFERENCES posts (id), submission_id INTEGER, snapshot TEXT,
    ts REAL NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5 (
    title, body, tags, content='posts', content_rowid='id'
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, agent_id TEXT NOT NULL, method TEXT NOT NULL,
    predictions_digest TEXT NOT NULL, experiment_digest TEXT,
    public TEXT, private TEXT, hard_labels BLOB, flags TEXT NOT NULL,
    scored INTEGER NOT NULL, voided INTEGER NOT NULL DEFAULT 0, void_reason TEXT,
    ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_agent ON submissions (agent_id, ts);
CREATE TABLE IF NOT EXISTS experiments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL, config TEXT NOT NULL,
    agent_id TEXT NOT NULL, status TEXT NOT NULL, diagnostics TEXT NOT NULL,
    predictions BLOB, error TEXT, duration REAL NOT NULL DEFAULT 0,
    reuses INTEGER NOT NULL DEFAULT 0, ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS experiments_digest ON experiments (digest);
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, issued_by TEXT NOT NULL,
    command TEXT NOT NULL, status TEXT NOT NULL, reason TEXT
);
"""


class Store:
    """One aiosqlite connection in WAL mode, with the schema above."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path)
        await db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of the process; fsync at checkpoints.
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        try:
            await migrate(db, current_schema(), str(path.parent))
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        async with self._lock:
            await self.db.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[aiosqlite.Connection]:
        """A transaction: committed on exit, rolled back on error."""
        async with self._lock:
            try:
                yield self.db
            except BaseException:
                await self.db.rollback()
                raise
            await self.db.commit()

    async def fetchall(self, sql: str, params: tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        async with self.db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        async with self.db.execute(sql, params) as cur:
            return await cur.fetchone()


def current_schema() -> str:
    return SCHEMA + "".join(STEPS[v] for v in sorted(STEPS))


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)

"""The store's schema version and the steps that bring an older run directory forward.

The version lives in SQLite's `user_version`. A store made before versions were kept
reads 0 and holds the first schema, so it counts as version 1. Each step in `STEPS`
takes a store from the version before it to its own; a store newer than this `aar`
knows is refused rather than guessed at.
"""

from __future__ import annotations

import aiosqlite

from engine.errors import StoreVersionError

SCHEMA_VERSION = 3

# version -> DDL that brings a store of (version - 1) to it.
STEPS: dict[int, str] = {
    2: """
CREATE TABLE IF NOT EXISTS agent_state (
    agent_id TEXT PRIMARY KEY, brain TEXT NOT NULL, state BLOB, steps INTEGER NOT NULL,
    active_seconds REAL NOT NULL DEFAULT 0, gpu_seconds REAL NOT NULL DEFAULT 0,
    ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reruns (
    digest TEXT NOT NULL, seed INTEGER NOT NULL, public TEXT NOT NULL, private TEXT NOT NULL,
    PRIMARY KEY (digest, seed)
);
""",
    # What reproduces each submission, each seed's reproduced scores, and the verdict.
    3: """
CREATE TABLE IF NOT EXISTS recipes (
    submission_id INTEGER PRIMARY KEY, kind TEXT NOT NULL, digest TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reproduced_seeds (
    recipe TEXT NOT NULL, seed INTEGER NOT NULL, public TEXT NOT NULL, private TEXT NOT NULL,
    predictions_digest TEXT NOT NULL, PRIMARY KEY (recipe, seed)
);
CREATE TABLE IF NOT EXISTS reproductions (
    submission_id INTEGER PRIMARY KEY, status TEXT NOT NULL, seeds TEXT NOT NULL,
    public TEXT NOT NULL, private TEXT NOT NULL, verdict TEXT NOT NULL, ts REAL NOT NULL
);
""",
}


async def stored_version(db: aiosqlite.Connection) -> int:
    """The store's schema version; 0 for a store with no tables at all."""
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version:
        return version
    async with db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ) as cur:
        return 1 if await cur.fetchone() else 0


async def migrate(db: aiosqlite.Connection, schema: str, where: str) -> int:
    """Create a fresh store with `schema`, or bring an older one up to SCHEMA_VERSION.

    Returns the version the store had before (0: it was new). Raises StoreVersionError for
    a store that a newer `aar` wrote.
    """
    version = await stored_version(db)
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"the run in {where} was written by a newer aar (store schema {version}; this"
            f" aar reads up to {SCHEMA_VERSION}): upgrade aar to open it"
        )
    if version == 0:
        await db.executescript(schema)
    else:
        for step in range(version + 1, SCHEMA_VERSION + 1):
            await db.executescript(STEPS[step])
    # PRAGMA takes no parameters; the value is our own constant.
    await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    await db.commit()
    return version

"""The experiment registry: each normalised method config once, answered again on request.

Keyed by the config's digest (`w2s.methods.MethodConfig.digest()`). A second agent asking
for a config that ran already gets the recorded diagnostics, predictions, best public
score and who ran it, without recomputing; one asking while it still runs waits for it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiosqlite

from engine.eventlog import EventLog
from engine.events import ExperimentFinishedPayload, ExperimentStartedPayload, Score, now
from engine.store import Store, dumps
from engine.view import ExperimentRecord

_COLUMNS = "id, digest, config, agent_id, status, diagnostics, error, duration, reuses, ts"


class Registry:
    def __init__(self, store: Store, events: EventLog) -> None:
        self.store = store
        self.events = events
        self._running: dict[str, asyncio.Future[int | None]] = {}

    async def _record(self, row: aiosqlite.Row) -> ExperimentRecord:
        eid, digest, config, agent, status, diag, error, duration, reuses, ts = row
        return ExperimentRecord(
            id=eid,
            digest=digest,
            config=json.loads(config),
            agent_id=agent,
            status=status,
            diagnostics=json.loads(diag),
            error=error,
            duration=duration,
            public=await self.best_public(digest),
            reuses=reuses,
            ts=ts,
        )

    async def best_public(self, digest: str) -> Score | None:
        rows = await self.store.fetchall(
            "SELECT public FROM submissions WHERE experiment_digest = ? AND scored = 1"
            " AND voided = 0 AND public IS NOT NULL",
            (digest,),
        )
        scores = [Score.model_validate_json(r[0]) for r in rows]
        if not scores:
            return None
        return max(scores, key=lambda s: (s.pgr if s.pgr is not None else -1e9, s.accuracy))

    async def lookup(self, digest: str, *, wait: bool = True) -> ExperimentRecord | None:
        """The finished experiment with this digest, if any (waiting for one in flight)."""
        future = self._running.get(digest)
        if future is not None and wait:
            await asyncio.shield(future)
        row = await self.store.fetchone(
            f"SELECT {_COLUMNS} FROM experiments WHERE digest = ? AND status = 'finished'"
            " ORDER BY id LIMIT 1",
            (digest,),
        )
        return await self._record(row) if row else None

    async def get(self, experiment_id: int) -> ExperimentRecord | None:
        row = await self.store.fetchone(
            f"SELECT {_COLUMNS} FROM experiments WHERE id = ?", (experiment_id,)
        )
        return await self._record(row) if row else None

    async def predictions(self, experiment_id: int) -> bytes | None:
        row = await self.store.fetchone(
            "SELECT predictions FROM experiments WHERE id = ?", (experiment_id,)
        )
        return row[0] if row else None

    async def start(self, agent_id: str, digest: str, config: dict[str, Any]) -> int:
        async with self.store.write() as db:
            cur = await db.execute(
                "INSERT INTO experiments (digest, config, agent_id, status, diagnostics, ts)"
                " VALUES (?,?,?,'running','{}',?)",
                (digest, dumps(config), agent_id, now()),
            )
            eid = cur.lastrowid
        assert eid is not None
        self._running.setdefault(digest, asyncio.get_running_loop().create_future())
        self.events.append(
            agent_id, ExperimentStartedPayload(experiment_id=eid, digest=digest, config=config)
        )
        return eid

    async def finish(
        self,
        experiment_id: int,
        agent_id: str,
        digest: str,
        *,
        diagnostics: dict[str, Any],
        predictions: bytes | None,
        duration: float,
        error: str | None = None,
    ) -> None:
        status = "failed" if error else "finished"
        async with self.store.write() as db:
            await db.execute(
                "UPDATE experiments SET status = ?, diagnostics = ?, predictions = ?, error = ?,"
                " duration = ? WHERE id = ?",
                (status, dumps(diagnostics), predictions, error, duration, experiment_id),
            )
        self._settle(digest)
        self.events.append(
            agent_id,
            ExperimentFinishedPayload(
                experiment_id=experiment_id,
                digest=digest,
                ok=error is None,
                diagnostics=diagnostics,
                duration=round(duration, 3),
                error=error,
            ),
        )

    def _settle(self, digest: str) -> None:
        future = self._running.pop(digest, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def abandon(self, experiment_id: int, digest: str) -> None:
        """An experiment cut short (its agent paused hard or stopped): forget it."""
        async with self.store.write() as db:
            await db.execute("DELETE FROM experiments WHERE id = ?", (experiment_id,))
        self._settle(digest)

    async def reused(self, record: ExperimentRecord, agent_id: str) -> None:
        async with self.store.write() as db:
            await db.execute(
                "UPDATE experiments SET reuses = reuses + 1 WHERE id = ?", (record.id,)
            )
        self.events.append(
            agent_id,
            ExperimentFinishedPayload(
                experiment_id=record.id,
                digest=record.digest,
                ok=True,
                diagnostics=record.diagnostics,
                duration=0.0,
                reused=True,
            ),
        )

    async def running(self) -> list[ExperimentRecord]:
        """The experiments in flight now, oldest first: what the swarm is already trying."""
        rows = await self.store.fetchall(
            f"SELECT {_COLUMNS} FROM experiments WHERE status = 'running' ORDER BY id LIMIT 100"
        )
        return [await self._record(r) for r in rows]

    async def list(self, limit: int = 200) -> list[ExperimentRecord]:
        rows = await self.store.fetchall(
            f"SELECT {_COLUMNS} FROM experiments ORDER BY id DESC LIMIT ?",
            (max(1, min(limit, 5000)),),
        )
        return [await self._record(r) for r in rows]

"""What a report is made of, read from a run's store (migrated first, like any open)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.events import RunState, Score
from engine.projection import Projection
from engine.run.task import PreparedTask
from engine.store import Store
from engine.view import RunInfo, Snapshot

_RUN_ENDED = {"finished"}


@dataclass
class SubmissionRow:
    id: int
    agent_id: str
    method: str
    experiment_digest: str | None
    public: Score | None
    private: Score | None
    flags: tuple[str, ...]
    scored: bool
    voided: bool
    void_reason: str | None
    ts: float

    @property
    def gap(self) -> float | None:
        """Public minus private PGR: how much the leaderboard flattered the method."""
        if self.public is None or self.private is None:
            return None
        if self.public.pgr is None or self.private.pgr is None:
            return None
        return round(self.public.pgr - self.private.pgr, 3)


@dataclass
class RunData:
    run_dir: Path
    snapshot: Snapshot
    submissions: list[SubmissionRow]
    experiments: dict[str, dict[str, Any]]  # digest -> normalised config
    posts: list[dict[str, Any]]
    watch_flags: list[dict[str, Any]]
    isolation: dict[str, bool]
    hidden_baselines: dict[str, Any]
    task: PreparedTask | None
    finished_at: float | None
    gpu_hours: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _score(text: str | None) -> Score | None:
    return Score.model_validate_json(text) if text else None


async def load_run(run_dir: Path) -> RunData:
    store = await Store.open(run_dir / "store.sqlite")
    try:
        return await _load(store, run_dir)
    finally:
        await store.close()


async def _load(store: Store, run_dir: Path) -> RunData:
    from engine.eventlog import EventLog

    run_row = await store.fetchone("SELECT id, config FROM runs ORDER BY created LIMIT 1")
    run_id = run_row[0] if run_row else run_dir.name
    config = json.loads(run_row[1]) if run_row else {}
    projection = Projection(
        RunInfo(
            run_id=run_id,
            name=run_id,
            task=config.get("task", "?"),
            state=RunState.STARTING,
            brain=config.get("agents", {}).get("brain", "?"),
            sandbox_backend=config.get("sandbox", {}).get("backend", "?"),
            run_dir=str(run_dir),
        )
    )
    log = EventLog(store)
    await log.start()
    after, finished_at = 0, None
    while batch := await log.read(after, limit=5000):
        projection.apply_all(batch)
        after = batch[-1].seq
        for e in batch:
            if e.payload.kind == "run_state" and e.payload.state.value in _RUN_ENDED:
                finished_at = e.ts
    await log.close()
    submissions = [
        SubmissionRow(
            id=r[0],
            agent_id=r[1],
            method=r[2],
            experiment_digest=r[3],
            public=_score(r[4]),
            private=_score(r[5]),
            flags=tuple(json.loads(r[6])),
            scored=bool(r[7]),
            voided=bool(r[8]),
            void_reason=r[9],
            ts=r[10],
        )
        for r in await store.fetchall(
            "SELECT id, agent_id, method, experiment_digest, public, private, flags, scored,"
            " voided, void_reason, ts FROM submissions ORDER BY id"
        )
    ]
    experiments = {
        digest: json.loads(cfg)
        for digest, cfg in await store.fetchall(
            "SELECT digest, config FROM experiments WHERE status = 'finished'"
        )
    }
    posts = [
        {"id": i, "author": a, "kind": k, "title": t, "body": b, "metrics": json.loads(m)}
        for i, a, k, t, b, m in await store.fetchall(
            "SELECT id, author, kind, title, body, metrics FROM posts"
            " WHERE kind IN ('result', 'insight') ORDER BY id"
        )
    ]
    watch = [
        {"agent_id": a, **json.loads(p)}
        for a, p in await store.fetchall(
            "SELECT agent_id, payload FROM events WHERE kind = 'watch_flag' ORDER BY seq"
        )
    ]
    meta: dict[str, str] = {k: v for k, v in await store.fetchall("SELECT key, value FROM meta")}
    isolation = {
        k.split(":", 1)[1]: v == "isolated" for k, v in meta.items() if k.startswith("isolation:")
    }
    task = PreparedTask.from_json(meta["task"]) if "task" in meta else None
    hidden: dict[str, Any] = {}
    if task is not None and (task.hidden_dir / "baselines.json").is_file():
        hidden = json.loads((task.hidden_dir / "baselines.json").read_text())
    return RunData(
        run_dir=run_dir,
        snapshot=projection.snapshot(),
        submissions=submissions,
        experiments=experiments,
        posts=posts,
        watch_flags=watch,
        isolation=isolation,
        hidden_baselines=hidden,
        task=task,
        finished_at=finished_at,
    )

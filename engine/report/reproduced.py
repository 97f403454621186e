"""The AAR rule for a result: reproduce the top submissions over seeds, rank by private mean.

The best submissions by public PGR (one per recipe) are reproduced in fresh sandboxes by
`engine.reproduce`, from their config or their workspace snapshot and command, and graded
on both halves. Verdicts and each seed's scores stay in the store, so a second report (or
one after `aar ctl reproduce`) costs nothing. The final ranking puts first what reproduced
cleanly, by reproduced private mean; a result whose seeds all gave the same predictions
follows; irreproducible and unverified submissions are listed, never ranked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.report.data import RunData, SubmissionRow
from engine.reproduce import SEED_IGNORED, Reproducer, Verdict, verdicts
from engine.scoring import UNVERIFIED
from engine.store import Store


@dataclass(frozen=True)
class Reproduction:
    submission: SubmissionRow
    recipe: dict[str, Any]
    verdict: Verdict

    @property
    def ranked(self) -> bool:
        return self.verdict.reproduced.status == "reproduced"

    @property
    def clean(self) -> bool:
        """Reproduced with seeds that made a difference: eligible for the top."""
        return self.ranked and SEED_IGNORED not in self.verdict.reproduced.flags


def _rankable(s: SubmissionRow) -> bool:
    from engine.projection import UNRANKED_FLAGS

    return (
        s.scored
        and not s.voided
        and s.public is not None
        and not UNRANKED_FLAGS & set(s.flags)
        and UNVERIFIED not in s.flags
    )


def candidates(
    data: RunData, recipes: dict[int, tuple[str, dict[str, Any]]], top: int
) -> list[SubmissionRow]:
    """The best submissions by public PGR that carry a recipe, one per recipe."""
    ranked = [s for s in data.submissions if _rankable(s) and s.id in recipes]
    ranked.sort(key=lambda s: -(s.public.pgr if s.public and s.public.pgr is not None else -9))
    seen: set[str] = set()
    out = []
    for s in ranked:
        digest = recipes[s.id][0]
        if digest not in seen:
            seen.add(digest)
            out.append(s)
    return out[:top]


def _reproducer(
    data: RunData, store: Store, config: Any, seeds: tuple[int, ...] | None
) -> Reproducer:
    from engine.cleanroom import CleanRoom, test_rows
    from engine.run.sandboxes import agent_sandbox_spec
    from engine.snapshots import SnapshotStore

    task = data.task
    assert task is not None
    run_id = data.snapshot.run.run_id
    clean = CleanRoom(
        backend=config.sandbox.backend,
        run_dir=data.run_dir,
        agent_spec=lambda agent_id: agent_sandbox_spec(
            config, run_id, data.run_dir, task, agent_id
        ),
        test_rows=test_rows(task.hidden_dir),
    )
    snapshots = SnapshotStore(
        data.run_dir / "snapshots", int(config.reproduction.snapshot_mb * (1 << 20))
    )
    return Reproducer(
        store,
        clean,
        snapshots,
        task.hidden_dir,
        config.reproduction,
        score_step=config.scoring.step,
        seeds=seeds,
    )


async def reproduce_top(
    data: RunData, *, top: int, seeds: int | tuple[int, ...] | None = None
) -> list[Reproduction]:
    """Reproduce the top `top` submissions over `seeds`: a count (seeds 0 to n-1), the seeds
    themselves (the published recipe's 42-46, say), or None for the run's setting."""
    from engine.config import RunConfig

    if data.task is None:
        return []
    store = await Store.open(data.run_dir / "store.sqlite")
    try:
        row = await store.fetchone("SELECT config FROM runs ORDER BY created LIMIT 1")
        config = RunConfig.model_validate_json(row[0]) if row else RunConfig()
        chosen = tuple(range(seeds)) if isinstance(seeds, int) else seeds
        recipes = {
            sid: (digest, json.loads(body))
            for sid, digest, body in await store.fetchall(
                "SELECT submission_id, digest, body FROM recipes"
            )
        }
        reproducer = _reproducer(data, store, config, chosen)
        for sub in candidates(data, recipes, top):
            await reproducer.reproduce(sub.id)
        known = await verdicts(store)
    finally:
        await store.close()
    by_id = {s.id: s for s in data.submissions}
    found = [
        Reproduction(by_id[sid], recipes[sid][1], v)
        for sid, v in known.items()
        if sid in by_id and sid in recipes
    ]
    return sorted(found, key=_order)


def _order(r: Reproduction) -> tuple[int, float]:
    mean = r.verdict.private_pgr_mean
    tier = 0 if r.clean else 1 if r.ranked else 2
    return tier, -(mean if mean is not None else -9.0)

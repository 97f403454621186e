"""The AAR rule for a result: re-run the top methods over five seeds, rank by private mean.

Each re-run trains the method on the run's bundle in the engine's process (a method is a
config, not agent code, so nothing of an agent runs here) and is graded on both halves
of the test split. Results are kept in the store by (config digest, seed), so a second
report costs nothing.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.events import Score
from engine.report.data import RunData, SubmissionRow
from engine.store import Store

SEEDS = (0, 1, 2, 3, 4)
TOP = 3
# What each re-run seed redraws (the method config's seed and data_seed): a method that
# holds only for one data order or one early-stopping slice is as lucky as one init.
REDRAWS = "the initialisation, the data order and the early-stopping slice"


@dataclass(frozen=True)
class Rerun:
    submission: SubmissionRow
    config: dict[str, Any]
    private: tuple[Score, ...]
    public: tuple[Score, ...]

    @staticmethod
    def _stats(scores: tuple[Score, ...]) -> tuple[float | None, float | None]:
        values = [s.pgr for s in scores if s.pgr is not None]
        if not values:
            return None, None
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return round(statistics.fmean(values), 3), round(sd, 3)

    @property
    def private_mean(self) -> float | None:
        return self._stats(self.private)[0]

    @property
    def private_sd(self) -> float | None:
        return self._stats(self.private)[1]

    @property
    def public_mean(self) -> float | None:
        return self._stats(self.public)[0]


def candidates(data: RunData, top: int = TOP) -> list[SubmissionRow]:
    """The best ranked submissions by public PGR, one per method config."""
    from engine.projection import UNRANKED_FLAGS

    ranked = [
        s
        for s in data.submissions
        if s.scored
        and not s.voided
        and s.public is not None
        and s.experiment_digest
        and s.experiment_digest in data.experiments
        and not UNRANKED_FLAGS & set(s.flags)
    ]
    ranked.sort(key=lambda s: -(s.public.pgr if s.public and s.public.pgr is not None else -9))
    seen: set[str] = set()
    out = []
    for s in ranked:
        if s.experiment_digest not in seen:
            seen.add(s.experiment_digest or "")
            out.append(s)
    return out[:top]


def _train_and_grade(bundle: Path, hidden: Path, config: dict[str, Any]) -> tuple[Score, Score]:
    from w2s.grader import grade
    from w2s.runner import run

    with tempfile.TemporaryDirectory(prefix="aar-rerun-") as tmp:
        cfg = Path(tmp) / "config.json"
        cfg.write_text(json.dumps(config))
        out = run(bundle, cfg, Path(tmp) / "preds.json")
    g = grade(hidden, out["predictions"])
    return _as_score(g.public), _as_score(g.private)


def _as_score(s: Any) -> Score:
    pgr = None if s.pgr is None else round(float(s.pgr), 3)
    return Score(accuracy=round(float(s.accuracy), 3), pgr=pgr, n=int(s.n))


async def rerun_top(
    data: RunData, *, seeds: tuple[int, ...] = SEEDS, top: int = TOP
) -> list[Rerun]:
    if data.task is None:
        return []
    store = await Store.open(data.run_dir / "store.sqlite")
    results = []
    try:
        for sub in candidates(data, top):
            digest = sub.experiment_digest or ""
            config = data.experiments[digest]
            cached = {
                seed: (Score.model_validate_json(pub), Score.model_validate_json(priv))
                for seed, pub, priv in await store.fetchall(
                    "SELECT seed, public, private FROM reruns WHERE digest = ?", (digest,)
                )
            }
            for seed in seeds:
                if seed in cached:
                    continue
                scores = await asyncio.to_thread(
                    _train_and_grade,
                    data.task.bundle_dir,
                    data.task.hidden_dir,
                    {**config, "seed": seed, "data_seed": seed},
                )
                cached[seed] = scores
                async with store.write() as db:
                    await db.execute(
                        "INSERT OR REPLACE INTO reruns (digest, seed, public, private)"
                        " VALUES (?,?,?,?)",
                        (digest, seed, scores[0].model_dump_json(), scores[1].model_dump_json()),
                    )
            results.append(
                Rerun(
                    submission=sub,
                    config=config,
                    public=tuple(cached[s][0] for s in seeds),
                    private=tuple(cached[s][1] for s in seeds),
                )
            )
    finally:
        await store.close()
    results.sort(key=lambda r: -(r.private_mean if r.private_mean is not None else -9))
    return results

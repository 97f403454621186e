"""A claim until reproduced: re-run a submission in fresh sandboxes over seeds, grade both halves.

Each submission carries a recipe (`recipes` table): the config of the experiment it came
from, or a snapshot of its agent's workspace and the command that writes the predictions
again from `AAR_SEED`. The reproducer runs the recipe once per seed in a clean sandbox
(`engine.cleanroom`), grades each run on the public and private halves, and compares the
reproduced public accuracy with the claimed one. Verdicts:

- `reproduced`: every seed ran and the claim is within the seeds' noise;
- `irreproducible`: a seed failed, or the claim beats the reproduced mean by more than
  the noise (twice the seeds' spread, at least one test row, plus half the Ladder's step
  that the claim was rounded to); never ranked;
- a recipe-less (hand-made) submission is `unverified` from the start and cannot be
  reproduced.

A command whose predictions are the same for every seed is flagged `seed_ignored`: its
seeds measure no noise, so it stands behind reproduced results in the final ranking.
Each seed's scores are kept by (recipe, seed), so asking again costs nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from engine.cleanroom import CleanOutput, CleanRoom, CleanRunFailed
from engine.config import ReproductionConfig
from engine.errors import EngineError
from engine.eventlog import EventLog
from engine.events import ErrorPayload, Reproduced, ReproductionPayload, Score, now
from engine.ladder import Ladder
from engine.snapshots import SnapshotRefused, SnapshotStore
from engine.store import Store, dumps

log = logging.getLogger(__name__)

IRREPRODUCIBLE: Final = "irreproducible"
SEED_IGNORED = "seed_ignored"
# What a reproduction seed redraws in a config recipe (its seed and data_seed): a method that
# holds only for one data order or one train_unlabel split is as lucky as one initialisation.
REDRAWS = (
    "the initialisation, the data order, the early-stopping slice and the train_unlabel rows"
    " a data_fraction keeps"
)


class ReproductionError(EngineError):
    """A submission cannot be reproduced at all (none such, no recipe, one in progress)."""


@dataclass(frozen=True)
class Verdict:
    submission_id: int
    claimed: Score | None
    reproduced: Reproduced
    public: tuple[Score, ...]
    private: tuple[Score, ...]

    @property
    def private_pgr_mean(self) -> float | None:
        return _mean_sd([s.pgr for s in self.private])[0]

    @property
    def private_pgr_sd(self) -> float | None:
        return _mean_sd([s.pgr for s in self.private])[1]


def _mean_sd(values: list[float | None]) -> tuple[float | None, float | None]:
    known = [v for v in values if v is not None]
    if not known:
        return None, None
    sd = statistics.stdev(known) if len(known) > 1 else 0.0
    return round(statistics.fmean(known), 3), round(sd, 3)


def _grade(hidden_dir: Path, predictions: list[float]) -> tuple[Score, Score]:
    from w2s.grader import grade

    g = grade(hidden_dir, predictions)
    return _as_score(g.public), _as_score(g.private)


def _as_score(s: Any) -> Score:
    pgr = None if s.pgr is None else round(float(s.pgr), 3)
    return Score(accuracy=round(float(s.accuracy), 3), pgr=pgr, n=int(s.n))


class Reproducer:
    def __init__(
        self,
        store: Store,
        clean: CleanRoom,
        snapshots: SnapshotStore,
        hidden_dir: Path,
        config: ReproductionConfig,
        events: EventLog | None = None,
        score_step: float | None = None,
        seeds: tuple[int, ...] | None = None,
    ) -> None:
        self.store = store
        # The scorer's step, where the run sets one: a claim is the Ladder's released score,
        # rounded to that grid, so it may stand up to half a step above the method's own.
        self.score_step = score_step
        self.clean = clean
        self.snapshots = snapshots
        self.hidden_dir = hidden_dir
        self.config = config
        self.events = events
        self.seeds = seeds or tuple(range(config.seeds))
        self._running: set[int] = set()

    async def check(self, submission_id: int) -> None:
        """Raise ReproductionError, with the reason, if this submission cannot be reproduced."""
        row = await self.store.fetchone(
            "SELECT s.id, r.kind FROM submissions s LEFT JOIN recipes r"
            " ON r.submission_id = s.id WHERE s.id = ?",
            (submission_id,),
        )
        if row is None:
            raise ReproductionError(f"there is no submission {submission_id}")
        if row[1] is None:
            raise ReproductionError(
                f"submission {submission_id} is unverified: it is a predictions file with"
                " nothing that reproduces it (no experiment config, no command)"
            )
        if submission_id in self._running:
            raise ReproductionError(f"submission {submission_id} is being reproduced already")

    async def reproduce(self, submission_id: int) -> Verdict:
        """Reproduce over the configured seeds and record the verdict (an event, a row)."""
        await self.check(submission_id)
        self._running.add(submission_id)
        try:
            return await self._reproduce(submission_id)
        finally:
            self._running.discard(submission_id)

    async def reproduce_logged(self, submission_id: int) -> None:
        """For a background task: a failure becomes an error event, never an exception."""
        try:
            await self.reproduce(submission_id)
        except Exception as exc:
            log.exception("reproducing submission %d failed", submission_id)
            if self.events is not None:
                self.events.append(
                    None,
                    ErrorPayload(
                        message=f"reproducing submission {submission_id} failed: {exc}",
                        where="reproduce",
                    ),
                )

    async def _reproduce(self, submission_id: int) -> Verdict:
        row = await self.store.fetchone(
            "SELECT s.agent_id, s.public, r.digest, r.body FROM submissions s"
            " JOIN recipes r ON r.submission_id = s.id WHERE s.id = ?",
            (submission_id,),
        )
        assert row is not None  # check() saw it
        agent_id, public, digest, body = row
        claimed = Score.model_validate_json(public) if public else None
        recipe = json.loads(body)
        self._announce(submission_id, claimed, Reproduced(status="running", seeds=self.seeds))
        done = await self._kept(digest)
        failure = ""
        for seed in self.seeds:
            if seed in done:
                continue
            try:
                output = await self._run(agent_id, recipe, seed)
            except (CleanRunFailed, SnapshotRefused) as exc:
                failure = str(exc)
                break
            public_score, private_score = await asyncio.to_thread(
                _grade, self.hidden_dir, output.predictions
            )
            done[seed] = (public_score, private_score, _digest(output.predictions))
            async with self.store.write() as db:
                await db.execute(
                    "INSERT OR REPLACE INTO reproduced_seeds (recipe, seed, public, private,"
                    " predictions_digest) VALUES (?,?,?,?,?)",
                    (
                        digest,
                        seed,
                        public_score.model_dump_json(),
                        private_score.model_dump_json(),
                        done[seed][2],
                    ),
                )
        seeds = tuple(s for s in self.seeds if s in done)
        publics = tuple(done[s][0] for s in seeds)
        privates = tuple(done[s][1] for s in seeds)
        reproduced = self._judge(claimed, publics, {done[s][2] for s in seeds}, seeds, failure)
        verdict = Verdict(submission_id, claimed, reproduced, publics, privates)
        async with self.store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO reproductions (submission_id, status, seeds, public,"
                " private, verdict, ts) VALUES (?,?,?,?,?,?,?)",
                (
                    submission_id,
                    reproduced.status,
                    dumps(list(seeds)),
                    dumps([s.model_dump() for s in publics]),
                    dumps([s.model_dump() for s in privates]),
                    reproduced.model_dump_json(),
                    now(),
                ),
            )
        self._announce(submission_id, claimed, reproduced)
        return verdict

    async def _kept(self, digest: str) -> dict[int, tuple[Score, Score, str]]:
        rows = await self.store.fetchall(
            "SELECT seed, public, private, predictions_digest FROM reproduced_seeds"
            " WHERE recipe = ?",
            (digest,),
        )
        return {
            seed: (Score.model_validate_json(pub), Score.model_validate_json(priv), d)
            for seed, pub, priv, d in rows
            if seed in self.seeds
        }

    async def _run(self, agent_id: str, recipe: dict[str, Any], seed: int) -> CleanOutput:
        timeout = self.config.timeout
        if recipe["kind"] == "config":
            return await self.clean.run_config(
                agent_id, {**recipe["config"], "seed": seed, "data_seed": seed}, timeout=timeout
            )
        files = await asyncio.to_thread(self.snapshots.files, recipe["snapshot"])
        return await self.clean.run_code(
            agent_id, files, recipe["command"], recipe["output"], seed=seed, timeout=timeout
        )

    def _judge(
        self,
        claimed: Score | None,
        publics: tuple[Score, ...],
        digests: set[str],
        seeds: tuple[int, ...],
        failure: str,
    ) -> Reproduced:
        pgr_mean, pgr_sd = _mean_sd([s.pgr for s in publics])
        acc_mean, acc_sd = _mean_sd([s.accuracy for s in publics])
        base: dict[str, Any] = {
            "seeds": seeds,
            "public_pgr_mean": pgr_mean,
            "public_pgr_sd": pgr_sd,
            "public_accuracy_mean": acc_mean,
            "public_accuracy_sd": acc_sd,
        }
        if failure:
            return Reproduced(
                status=IRREPRODUCIBLE,
                flags=(IRREPRODUCIBLE,),
                message=f"the reproduction failed after {len(seeds)} seed(s): {failure}",
                **base,
            )
        flags: list[str] = []
        notes: list[str] = []
        status: Literal["reproduced", "irreproducible"] = "reproduced"
        if claimed is not None and acc_mean is not None and publics:
            rows = max(1, publics[0].n)
            grid = Ladder.for_public_rows(rows, self.score_step).step
            noise = max(2 * (acc_sd or 0.0), 1.0 / rows) + grid / 2
            short = claimed.accuracy - acc_mean
            if short > noise:
                status = IRREPRODUCIBLE
                flags.append(IRREPRODUCIBLE)
                notes.append(
                    f"claimed public accuracy {claimed.accuracy:.3f}, reproduced"
                    f" {acc_mean:.3f} ± {acc_sd or 0:.3f} over {len(seeds)} seeds: short by"
                    f" {short:.3f}, more than the seeds' noise ({noise:.3f})"
                )
        if len(seeds) > 1 and len(digests) == 1:
            flags.append(SEED_IGNORED)
            notes.append(
                f"the predictions are identical for all {len(seeds)} seeds: the command seems"
                " to ignore AAR_SEED, so the seeds measure no noise"
            )
        if not notes:
            notes.append(f"reproduced over {len(seeds)} seeds, within the seeds' noise")
        return Reproduced(status=status, flags=tuple(flags), message="; ".join(notes), **base)

    def _announce(self, submission_id: int, claimed: Score | None, reproduced: Reproduced) -> None:
        if self.events is not None:
            self.events.append(
                None,
                ReproductionPayload(
                    submission_id=submission_id, claimed=claimed, reproduced=reproduced
                ),
            )


def _digest(predictions: list[float]) -> str:
    return hashlib.sha256(json.dumps(predictions).encode()).hexdigest()[:16]


async def verdicts(store: Store) -> dict[int, Verdict]:
    """Every recorded verdict, by submission id (engine-side: it holds private scores)."""
    rows = await store.fetchall(
        "SELECT r.submission_id, r.public, r.private, r.verdict, s.public FROM reproductions r"
        " JOIN submissions s ON s.id = r.submission_id"
    )
    out = {}
    for sid, pub, priv, verdict, claimed in rows:
        out[sid] = Verdict(
            sid,
            Score.model_validate_json(claimed) if claimed else None,
            Reproduced.model_validate_json(verdict),
            tuple(Score.model_validate(s) for s in json.loads(pub)),
            tuple(Score.model_validate(s) for s in json.loads(priv)),
        )
    return out

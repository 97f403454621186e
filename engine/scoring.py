"""The scoring service: the only way from predictions to a score, with its defences.

It grades with `w2s`'s grader against the hidden labels (which never leave the engine)
and tells an agent only what the Ladder releases (`engine.ladder`): a new public accuracy
when it beats the agent's best released one by more than `scoring.step`, rounded to that
step, with PGR computed from it and the baselines on the same grid; otherwise that it is
no significant improvement. At most `scoring.releases_per_day` releases a day, run-wide:
past that a submission is graded and recorded, and nothing new is released. What is
stored as a submission's `public` (and sent in events, the leaderboard, the registry) is
the released score or nothing, so no path leads an agent to the unrounded one.
Defences against reward hacking:

- a per-agent rate limit (`scoring.submissions_per_hour`);
- probing: a submission whose hard labels differ from those of any earlier submission
  (any agent) in fewer than `probe_threshold` of the test rows is flagged `probing` and
  answered without a new score;
- adaptive: once an agent has made `adaptive_count` submissions that each differ from an
  earlier one (any agent's) in under `adaptive_share` of the test rows, a design of many
  small-block variations, each such submission is flagged `adaptive` and the agent is
  flagged to the supervisor by a `watch_flag`;
- degenerate: all one class, or within `probe_threshold` of it, is flagged `degenerate`
  (graded, never released or ranked);
- unverified: a submission with no recipe (no config, no snapshot and command) that
  reproduces it is flagged `unverified` (see `engine.reproduce`);
- the supervisor can void a submission; the private scores stay in the store until the
  supervisor reveals them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.bounds import MAX_METHOD
from engine.config import ScoringConfig
from engine.errors import ScoringError, SubmissionRefused
from engine.eventlog import EventLog
from engine.events import (
    PrivateRevealedPayload,
    RevealedScore,
    Score,
    SubmissionPayload,
    SubmissionVoidedPayload,
    WatchFlagPayload,
)
from engine.ladder import Ladder
from engine.store import Store, dumps
from engine.texts import pgr_text

if TYPE_CHECKING:
    from w2s import grader

HOUR = 3600.0
DAY = 24 * HOUR
VARIANTS = "scoring.variants"  # the meta key of each agent's count of small-block variations
# A submission with nothing that reproduces it (a hand-made predictions file).
UNVERIFIED = "unverified"


@dataclass(frozen=True)
class SubmissionOutcome:
    """What the submitting agent is told: `public` is what the Ladder released, if anything."""

    submission_id: int
    public: Score | None
    flags: tuple[str, ...]
    scored: bool
    message: str
    best: Score | None = None  # the agent's best released score after this submission


def _score(obj: grader.Score) -> Score:
    """A w2s score as the engine's record, rounded to 3 decimals."""
    pgr = getattr(obj, "pgr", None)
    return Score(
        accuracy=round(float(obj.accuracy), 3),
        pgr=None if pgr is None else round(float(pgr), 3),
        n=int(obj.n),
    )


def _default_grade(hidden_dir: Path, predictions: bytes) -> grader.Grade:
    from w2s.grader import grade

    return grade(hidden_dir, predictions)


def _public_baselines(hidden_dir: Path) -> tuple[float, float]:
    from w2s.hidden import load_hidden

    baselines = load_hidden(hidden_dir).baselines
    return float(baselines["weak"]["public"]), float(baselines["ceiling"]["public"])


class Scorer:
    def __init__(
        self,
        store: Store,
        events: EventLog,
        hidden_dir: Path,
        config: ScoringConfig,
        *,
        grade: Callable[[Path, bytes], grader.Grade] = _default_grade,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.events = events
        self.hidden_dir = hidden_dir
        self.config = config
        self._grade = grade
        self._clock = clock
        self._labels: np.ndarray | None = None  # earlier submissions' hard labels, one row each
        self._baselines: tuple[float, float] | None = None  # weak, ceiling on the public half
        self._variants: Counter[str] = Counter()  # small-block variations, per agent
        self._adaptive_agents: set[str] = set()
        self._lock = asyncio.Lock()

    async def _earlier_labels(self) -> np.ndarray | None:
        if self._labels is None:
            rows = await self.store.fetchall(
                "SELECT hard_labels FROM submissions WHERE hard_labels IS NOT NULL ORDER BY id"
            )
            if rows:
                self._labels = np.stack([np.frombuffer(r[0], dtype=np.uint8) for r in rows])
            # Kept beside the submissions, so a resumed run goes on counting without
            # comparing every stored submission with every other.
            row = await self.store.fetchone("SELECT value FROM meta WHERE key = ?", (VARIANTS,))
            self._variants = Counter(json.loads(row[0]) if row else {})
        return self._labels

    async def recent_count(self, agent_id: str) -> int:
        row = await self.store.fetchone(
            "SELECT COUNT(*) FROM submissions WHERE agent_id = ? AND ts > ?",
            (agent_id, self._clock() - HOUR),
        )
        return row[0] if row else 0

    async def best_released(self, agent_id: str) -> Score | None:
        """The best public score released to this agent (voided ones too: it was told them)."""
        rows = await self.store.fetchall(
            "SELECT public FROM submissions WHERE agent_id = ? AND public IS NOT NULL",
            (agent_id,),
        )
        scores = [Score.model_validate_json(r[0]) for r in rows]
        return max(scores, key=lambda s: s.accuracy, default=None)

    async def _releases_today(self) -> tuple[int, float | None]:
        """Releases in the last 24 hours, run-wide, and when the oldest of them was."""
        row = await self.store.fetchone(
            "SELECT COUNT(*), MIN(ts) FROM submissions WHERE public IS NOT NULL AND ts > ?",
            (self._clock() - DAY,),
        )
        return (row[0], row[1]) if row else (0, None)

    def _flags(
        self, agent_id: str, hard: np.ndarray, earlier: np.ndarray | None
    ) -> tuple[list[str], bool]:
        """The submission's flags, and whether it is a small-block variation of an earlier one."""
        flags: list[str] = []
        variant = False
        if earlier is not None and earlier.shape[1] == hard.shape[0] and len(hard):
            closest = float((earlier != hard).mean(axis=1).min())
            if closest < self.config.probe_threshold:
                flags.append("probing")
            variant = closest < self.config.adaptive_share
            if variant and self._variants[agent_id] + 1 >= self.config.adaptive_count:
                flags.append("adaptive")
        if self.config.flag_degenerate and len(hard):
            minority = min(int(hard.sum()), len(hard) - int(hard.sum()))
            if minority < max(self.config.probe_threshold * len(hard), 1):
                flags.append("degenerate")
        return flags, variant

    async def _release(
        self, agent_id: str, public: grader.Score, flags: list[str]
    ) -> tuple[Score | None, Score | None, str]:
        """What the Ladder tells the agent of `public`: (released, best released, message)."""
        best = await self.best_released(agent_id)
        if "probing" in flags:
            also = f"; also {DEGENERATE}" if "degenerate" in flags else ""
            return None, best, PROBING + also
        if "degenerate" in flags:
            return None, best, f"flagged {DEGENERATE}"
        if self._baselines is None:
            self._baselines = await asyncio.to_thread(_public_baselines, self.hidden_dir)
        ladder = Ladder.for_public_rows(int(public.n), self.config.step)
        release = ladder.release(best.accuracy if best else None, float(public.accuracy))
        if release.accuracy is None:
            return None, best, _no_improvement(best, ladder.step)
        count, oldest = await self._releases_today()
        cap = self.config.releases_per_day
        if count >= cap:
            return None, best, _capped(cap, (oldest or self._clock()) + DAY, best)
        released = Score(
            accuracy=release.accuracy,
            pgr=ladder.pgr(release.accuracy, *self._baselines),
            n=int(public.n),
        )
        return released, released, _released(released, ladder.step)

    async def submit(
        self,
        agent_id: str,
        predictions: bytes,
        *,
        method: str,
        experiment_digest: str | None = None,
        call_id: str = "",
        recipe: dict[str, Any] | None = None,
    ) -> SubmissionOutcome:
        limit = self.config.submissions_per_hour
        # One submission at a time: the probing check compares against every earlier one.
        async with self._lock:
            if await self.recent_count(agent_id) >= limit:
                raise SubmissionRefused(
                    f"rate limit: at most {limit} submissions an hour per agent; "
                    "run more experiments and submit your best one later"
                )
            try:
                grade = await asyncio.to_thread(self._grade, self.hidden_dir, predictions)
            except Exception as exc:
                # The grader's own errors (bad predictions) are for the brain to read.
                from w2s.errors import W2SError

                if isinstance(exc, W2SError):
                    raise SubmissionRefused(str(exc)) from None
                raise ScoringError(f"the grader failed: {exc}") from exc
            hard = np.asarray(grade.hard_labels, dtype=np.uint8)
            earlier = await self._earlier_labels()
            flags, variant = self._flags(agent_id, hard, earlier)
            variants = self._variants.copy()
            variants[agent_id] += variant
            if recipe is None:
                flags.append(UNVERIFIED)
            scored = "probing" not in flags
            public, best, message = await self._release(agent_id, grade.public, flags)
            private = _score(grade.private)
            digest = digest_bytes(predictions)
            async with self.store.write() as db:
                cur = await db.execute(
                    "INSERT INTO submissions (agent_id, method, predictions_digest,"
                    " experiment_digest, public, private, hard_labels, flags, scored, ts)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        agent_id,
                        method[:MAX_METHOD],
                        digest,
                        experiment_digest,
                        public.model_dump_json() if public else None,
                        private.model_dump_json(),
                        hard.tobytes(),
                        dumps(flags),
                        int(scored),
                        self._clock(),
                    ),
                )
                sid = cur.lastrowid
                assert sid is not None
                if variants != self._variants:
                    await db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                        (VARIANTS, dumps(dict(variants))),
                    )
                if recipe is not None:
                    await db.execute(
                        "INSERT INTO recipes (submission_id, kind, digest, body) VALUES (?,?,?,?)",
                        (sid, recipe["kind"], recipe["digest"], dumps(recipe)),
                    )
            self._variants = variants
            self._labels = hard[None, :] if earlier is None else np.vstack([earlier, hard])
        self.events.append(
            agent_id,
            SubmissionPayload(
                submission_id=sid,
                method=method[:MAX_METHOD],
                predictions_digest=digest,
                public=public,
                flags=tuple(flags),
                scored=scored,
                experiment_digest=experiment_digest,
            ),
        )
        if "adaptive" in flags and agent_id not in self._adaptive_agents:
            self._adaptive_agents.add(agent_id)
            self.events.append(
                agent_id,
                WatchFlagPayload(
                    call_id=call_id,
                    tool="submit",
                    what="adaptive",
                    detail=(
                        f"{variants[agent_id]} submissions that each differ from an"
                        f" earlier one in under {self.config.adaptive_share:.1%} of the test"
                        " rows: small-block variations, the way to read labels off a score"
                    ),
                ),
            )
        return SubmissionOutcome(
            sid, public, tuple(flags), scored, f"{message}{_flag_note(flags)}", best
        )

    async def void(self, submission_id: int, reason: str, by: str) -> bool:
        async with self.store.write() as db:
            cur = await db.execute(
                "UPDATE submissions SET voided = 1, void_reason = ? WHERE id = ? AND voided = 0",
                (reason, submission_id),
            )
            changed = cur.rowcount > 0
        if changed:
            self.events.append(
                None, SubmissionVoidedPayload(submission_id=submission_id, reason=reason, by=by)
            )
        return changed

    async def exists(self, submission_id: int) -> bool:
        row = await self.store.fetchone("SELECT 1 FROM submissions WHERE id = ?", (submission_id,))
        return row is not None

    async def reveal(self, by: str) -> list[RevealedScore]:
        rows = await self.store.fetchall(
            "SELECT id, agent_id, private FROM submissions WHERE scored = 1 ORDER BY id"
        )
        scores = tuple(
            RevealedScore(submission_id=i, agent_id=a, private=Score.model_validate_json(p))
            for i, a, p in rows
        )
        self.events.append(None, PrivateRevealedPayload(scores=scores, by=by))
        return list(scores)

    async def private_scores(self) -> dict[int, Score]:
        """Engine-side only (reports, benches): never served before a reveal."""
        rows = await self.store.fetchall(
            "SELECT id, private FROM submissions WHERE scored = 1 AND voided = 0"
        )
        return {i: Score.model_validate_json(p) for i, p in rows}


PROBING = (
    "flagged as possible label probing: these predictions differ from an earlier "
    "submission in under 1% of the test rows, so no new score is given"
)
DEGENERATE = (
    "degenerate: (nearly) every prediction is the same class, so it is graded but given"
    " no public score and never ranked"
)


def _best(best: Score | None) -> str:
    if best is None:
        return "you have no released score yet"
    return f"your best released public accuracy is {best.accuracy:.3f} (PGR {pgr_text(best.pgr)})"


def _released(public: Score, step: float) -> str:
    return (
        f"public accuracy {public.accuracy:.3f}, public PGR {pgr_text(public.pgr)} (n={public.n});"
        f" released on the grid of {step:g}: your new best"
    )


def _no_improvement(best: Score | None, step: float) -> str:
    return (
        f"no significant improvement on your best: {_best(best)}, and a new public score is"
        f" released only when one beats it by more than {step:g}. This submission is graded"
        " and kept for the final ranking"
    )


def _capped(cap: int, until: float, best: Score | None) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(until))
    return (
        f"the run has released its {cap} public scores for the last 24 hours, so no new score"
        f" is released until {when}: this submission is graded and kept for the final"
        f" ranking; {_best(best)}"
    )


def _flag_note(flags: list[str]) -> str:
    if "adaptive" not in flags:
        return ""
    return (
        "; flagged adaptive: it is one of many small-block variations of earlier submissions,"
        " and the supervisor is told"
    )


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]

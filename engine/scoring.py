"""The scoring service: the only way from predictions to a score, with its defences.

It grades with `w2s`'s grader against the hidden labels (which never leave the engine)
and answers the public half only, to 3 decimals. Defences against reward hacking:

- a per-agent rate limit (`scoring.submissions_per_hour`);
- probing: a submission whose hard labels differ from those of any earlier submission
  (any agent) in fewer than `probe_threshold` of the test rows is flagged `probing` and
  answered without a new score;
- degenerate: all one class is flagged `degenerate` (scored, never ranked);
- unverified: a submission with no recipe (no config, no snapshot and command) that
  reproduces it is flagged `unverified` (see `engine.reproduce`);
- the supervisor can void a submission; the private scores stay in the store until the
  supervisor reveals them.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.config import ScoringConfig
from engine.errors import ScoringError, SubmissionRefused
from engine.eventlog import EventLog
from engine.events import (
    PrivateRevealedPayload,
    RevealedScore,
    Score,
    SubmissionPayload,
    SubmissionVoidedPayload,
)
from engine.store import Store, dumps

HOUR = 3600.0
# A submission with nothing that reproduces it (a hand-made predictions file).
UNVERIFIED = "unverified"


@dataclass(frozen=True)
class SubmissionOutcome:
    """What the submitting agent is told."""

    submission_id: int
    public: Score | None
    flags: tuple[str, ...]
    scored: bool
    message: str


def _score(obj: Any) -> Score:
    """A w2s score as the engine's record, rounded to 3 decimals (less to probe with)."""
    pgr = getattr(obj, "pgr", None)
    return Score(
        accuracy=round(float(obj.accuracy), 3),
        pgr=None if pgr is None else round(float(pgr), 3),
        n=int(obj.n),
    )


def _default_grade(hidden_dir: Path, predictions: bytes) -> Any:
    from w2s.grader import grade

    return grade(hidden_dir, predictions)


class Scorer:
    def __init__(
        self,
        store: Store,
        events: EventLog,
        hidden_dir: Path,
        config: ScoringConfig,
        *,
        grade: Callable[[Path, bytes], Any] = _default_grade,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.events = events
        self.hidden_dir = hidden_dir
        self.config = config
        self._grade = grade
        self._clock = clock
        self._labels: np.ndarray | None = None  # earlier submissions' hard labels, one row each
        self._lock = asyncio.Lock()

    async def _earlier_labels(self) -> np.ndarray | None:
        if self._labels is None:
            rows = await self.store.fetchall(
                "SELECT hard_labels FROM submissions WHERE hard_labels IS NOT NULL ORDER BY id"
            )
            if rows:
                self._labels = np.stack([np.frombuffer(r[0], dtype=np.uint8) for r in rows])
        return self._labels

    async def recent_count(self, agent_id: str) -> int:
        row = await self.store.fetchone(
            "SELECT COUNT(*) FROM submissions WHERE agent_id = ? AND ts > ?",
            (agent_id, self._clock() - HOUR),
        )
        return row[0] if row else 0

    async def submit(
        self,
        agent_id: str,
        predictions: bytes,
        *,
        method: str,
        experiment_digest: str | None = None,
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
            flags: list[str] = []
            earlier = await self._earlier_labels()
            closest = None
            if earlier is not None and earlier.shape[1] == hard.shape[0] and len(hard):
                diffs = (earlier != hard).mean(axis=1)
                closest = float(diffs.min())
                if closest < self.config.probe_threshold:
                    flags.append("probing")
            if self.config.flag_degenerate and len(hard) and len(np.unique(hard)) == 1:
                flags.append("degenerate")
            if recipe is None:
                flags.append(UNVERIFIED)
            scored = "probing" not in flags
            public = _score(grade.public) if scored else None
            private = _score(grade.private)
            digest = digest_bytes(predictions)
            async with self.store.write() as db:
                cur = await db.execute(
                    "INSERT INTO submissions (agent_id, method, predictions_digest,"
                    " experiment_digest, public, private, hard_labels, flags, scored, ts)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        agent_id,
                        method[:500],
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
                if recipe is not None:
                    await db.execute(
                        "INSERT INTO recipes (submission_id, kind, digest, body) VALUES (?,?,?,?)",
                        (sid, recipe["kind"], recipe["digest"], dumps(recipe)),
                    )
            self._labels = hard[None, :] if earlier is None else np.vstack([earlier, hard])
        self.events.append(
            agent_id,
            SubmissionPayload(
                submission_id=sid,
                method=method[:500],
                predictions_digest=digest,
                public=public,
                flags=tuple(flags),
                scored=scored,
                experiment_digest=experiment_digest,
            ),
        )
        return SubmissionOutcome(sid, public, tuple(flags), scored, _message(public, flags))

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


def _message(public: Score | None, flags: list[str]) -> str:
    if public is None:
        return (
            "flagged as possible label probing: these predictions differ from an earlier "
            "submission in under 1% of the test rows, so no new score is given"
        )
    pgr = "undefined" if public.pgr is None else f"{public.pgr:.3f}"
    text = f"public accuracy {public.accuracy:.3f}, public PGR {pgr} (n={public.n})"
    if "degenerate" in flags:
        text += "; flagged degenerate: every prediction is the same class, so it is not ranked"
    return text


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]

"""What the offline researcher knows: every trial it ran or read about, and what they suggest.

A trial's public PGR comes from the scorer (its own submissions, the leaderboard, the
registry); `proxy` predicts PGR from label-free diagnostics, fitted on the trials that
have both, so the researcher can judge an experiment before spending a submission on it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.brains.offline.beliefs import as_told


@dataclass
class Trial:
    digest: str
    config: dict[str, Any]
    by: str
    diagnostics: dict[str, Any]
    predictions: str | None = None
    pgr: float | None = None
    accuracy: float | None = None
    submission_id: int | None = None
    flags: tuple[str, ...] = ()
    # False: the Ladder released nothing new for it, so its pgr is the submitter's best.
    released: bool = True

    @property
    def scored(self) -> bool:
        return self.pgr is not None


def _agreement_and_lean(diag: dict[str, Any]) -> tuple[float, float] | None:
    """A run's agreement with the weak labels and how far its predictions lean from an even
    split of the classes; None when either is missing or not a finite number."""
    agree = diag.get("agreement_with_weak_labels")
    share = diag.get("predicted_class1_share")
    if not isinstance(agree, int | float) or not isinstance(share, int | float):
        return None
    a, lean = float(agree), abs(float(share) - 0.5)
    return (a, lean) if math.isfinite(a) and math.isfinite(lean) else None


def _features(agree: float, lean: float) -> list[float]:
    return [1.0, agree, agree * agree, lean]


# The proxy's cost, in PGR, of each unit of agreement or lean past the released runs' range.
OUTSIDE_COST = 10.0


def expected_agreement(weak: float, ceiling: float) -> float:
    """How often a student as accurate as the ceiling agrees with weak labels this accurate,
    its errors independent of theirs: what a student that learnt the concept, and not the
    weak supervisor's mistakes, should show."""
    return ceiling * weak + (1.0 - ceiling) * (1.0 - weak)


def read_baselines(text: str) -> tuple[float, float, float] | None:
    """From a bundle's `baselines.json`: the weak and ceiling public accuracies and the
    agreement expected of a student that learnt the concept; None if unreadable."""
    try:
        b = json.loads(text)
        weak, ceiling = float(b["weak_accuracy_public"]), float(b["ceiling_accuracy_public"])
    except (ValueError, KeyError, TypeError):
        return None
    if not (0.0 <= weak <= 1.0 and 0.0 <= ceiling <= 1.0):
        return None
    return weak, ceiling, expected_agreement(weak, ceiling)


def label_free_fit(diag: dict[str, Any], expected: float) -> float | None:
    """How far a run's diagnostics sit from a student that learnt the concept, at most 0:
    its agreement with the weak labels against `expected` (above it, it imitates the weak
    supervisor; far below, it learnt something else), plus how far its predictions lean to
    one class (the tasks' choices are balanced pairs). No label is read."""
    if (read := _agreement_and_lean(diag)) is None:
        return None
    agree, lean = read
    return -abs(agree - expected) - lean


class Knowledge:
    def __init__(self) -> None:
        self.trials: dict[str, Trial] = {}
        # Others' released scores with their runs' diagnostics (registry verdicts), by
        # submission: more points for the proxy, not trials of this agent's search.
        self.releases: dict[str, tuple[dict[str, Any], float]] = {}

    def add_release(self, key: str, diagnostics: dict[str, Any], pgr: float) -> None:
        self.releases.setdefault(key, (diagnostics, pgr))

    def add(self, trial: Trial) -> Trial:
        known = self.trials.get(trial.digest)
        if known is not None:
            # Keep what we knew; fill in what is new (a score, diagnostics).
            if trial.pgr is not None and (known.pgr is None or trial.pgr > known.pgr):
                known.pgr, known.accuracy = trial.pgr, trial.accuracy
            known.diagnostics = known.diagnostics or trial.diagnostics
            known.predictions = trial.predictions or known.predictions
            return known
        self.trials[trial.digest] = trial
        return trial

    def mine(self, agent_id: str) -> list[Trial]:
        return [t for t in self.trials.values() if t.by == agent_id]

    def best(self, agent_id: str | None = None) -> Trial | None:
        pool = [
            t
            for t in self.trials.values()
            if t.scored and (agent_id is None or t.by == agent_id) and "degenerate" not in t.flags
        ]
        return max(pool, key=lambda t: t.pgr, default=None)  # type: ignore[arg-type,return-value]

    def pgr_step(self, accuracy_step: float) -> float | None:
        """The Ladder's accuracy step in PGR, from the slope between two released scores
        (PGR is linear in public accuracy); None until two scores differ enough to tell."""
        pool = [t for t in self.trials.values() if t.scored and t.accuracy is not None]
        if len(pool) < 2:
            return None
        lo = min(pool, key=lambda t: t.accuracy or 0.0)
        hi = max(pool, key=lambda t: t.accuracy or 0.0)
        gap = (hi.accuracy or 0.0) - (lo.accuracy or 0.0)
        if gap < 2 * accuracy_step:
            return None
        return accuracy_step * ((hi.pgr or 0.0) - (lo.pgr or 0.0)) / gap

    def proxy(self, diagnostics: dict[str, Any]) -> float | None:
        """Predicted PGR from diagnostics; None until enough released scores to fit it.

        Fitted on released scores only: an unreleased trial's pgr is the best its submitter
        held, a stand-in that says nothing of how its diagnostics relate to its score. It
        does not reach past what they show: a run whose agreement or lean lies outside the
        released runs' range is predicted at the nearest edge, less OUTSIDE_COST per unit
        outside. Extrapolated, the quadratic favoured ever higher agreement, that is, runs
        that imitate the weak supervisor, which the Ladder never releases."""
        if (x := _agreement_and_lean(diagnostics)) is None:
            return None
        rows = [
            (read, t.pgr)
            for t in self.trials.values()
            if t.scored and t.released and (read := _agreement_and_lean(t.diagnostics))
        ]
        rows += [
            (read, pgr)
            for diag, pgr in self.releases.values()
            if (read := _agreement_and_lean(diag))
        ]
        if len(rows) < 5:
            return None
        a = np.array([_features(*r[0]) for r in rows])
        b = np.array([r[1] for r in rows])
        coef, *_ = np.linalg.lstsq(a, b, rcond=None)
        seen = np.array([r[0] for r in rows])
        inside = np.clip(np.array(x), seen.min(axis=0), seen.max(axis=0))
        outside = float(np.abs(np.array(x) - inside).sum())
        return float(np.dot(coef, _features(*inside))) - OUTSIDE_COST * outside

    def stand_in(self, diagnostics: dict[str, Any], held: float, expected: float | None) -> float:
        """The value a model of the space is told for a run the Ladder released nothing for,
        standing in at `held`, the best its submitter held: once released scores fit the
        proxy (what tells runs apart differs between instances), the proxy's predicted PGR,
        capped a little below `held`; before that, placed in a band below `held` by its
        `label_free_fit` against the `expected` agreement; without either, a little below."""
        if (predicted := self.proxy(diagnostics)) is not None:
            told = as_told(held, False, predicted=predicted)
        else:
            fit = None if expected is None else label_free_fit(diagnostics, expected)
            told = as_told(held, False, fit)
        assert told is not None  # held is a score
        return told

    def effects(self, min_count: int = 2) -> list[tuple[str, list[tuple[Any, float, int]]]]:
        """Per field, the mean PGR of scored trials at each value it took (values with data)."""
        scored = [t for t in self.trials.values() if t.scored]
        out = []
        fields = {k for t in scored for k in t.config}
        for name in sorted(fields):
            groups: dict[str, list[float]] = {}
            for t in scored:
                key = json.dumps(_bucket(name, t.config.get(name)))
                groups.setdefault(key, []).append(float(t.pgr))  # type: ignore[arg-type]
            if len(groups) < 2:
                continue
            rows = [
                (json.loads(k), float(np.mean(v)), len(v))
                for k, v in groups.items()
                if len(v) >= min_count
            ]
            if len(rows) >= 2:
                out.append((name, sorted(rows, key=lambda r: -r[1])))
        # The fields whose values differ most first: that is where the lesson is.
        out.sort(key=lambda kv: -(kv[1][0][1] - kv[1][-1][1]))
        return out


def _bucket(name: str, value: Any) -> Any:
    """Coarse values, so that a continuous field groups into a few comparable buckets."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if name == "lr" and value:
        half_decades = round(float(np.log10(float(value))) * 2) / 2
        return float(f"{10**half_decades:.1g}")
    if isinstance(value, float):
        return round(value, 1)
    return value

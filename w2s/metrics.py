"""Accuracy, PGR, and the mean with its standard error over seeds."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def accuracy(p1: np.ndarray, y: np.ndarray) -> float:
    """The share of rows where P(y=1) >= 0.5 agrees with the label."""
    if len(y) == 0:
        return float("nan")
    return float(np.mean((np.asarray(p1) >= 0.5) == (np.asarray(y) == 1)))


def pgr(acc_transfer: float, acc_weak: float, acc_ceiling: float) -> float | None:
    """Performance gap recovered; None when the ceiling is not above the weak supervisor."""
    gap = acc_ceiling - acc_weak
    if not gap > 0:
        return None
    return (acc_transfer - acc_weak) / gap


def mean_se(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and standard error of the mean, ignoring missing values; se is None for one value."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return None, None
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return mean, None
    var = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
    return mean, math.sqrt(var / len(xs))


def pgr_of_means(
    transfer: Sequence[float], weak: Sequence[float], ceiling: Sequence[float]
) -> tuple[float | None, float | None]:
    """PGR of the mean accuracies over seeds, with its delta-method standard error.

    The mean of per-seed PGRs is a mean of ratios: a seed whose gap is near zero gives a huge
    PGR of either sign and swamps the rest. The ratio of means weighs each seed by its gap.
    Its standard error linearises the ratio around the means and uses the seeds' paired
    spread, so seeds where transfer, weak and ceiling move together add little. None (PGR)
    when the mean ceiling is not above the mean weak accuracy; None (se) under two seeds.
    """
    t, w, c = (np.asarray(v, dtype=np.float64) for v in (transfer, weak, ceiling))
    if not (len(t) == len(w) == len(c)) or len(t) == 0:
        raise ValueError("transfer, weak and ceiling need one accuracy per seed each")
    gap = c.mean() - w.mean()
    if not gap > 0:
        return None, None
    value = (t.mean() - w.mean()) / gap
    if len(t) < 2:
        return float(value), None
    influence = ((t - t.mean()) - value * (c - c.mean()) + (value - 1) * (w - w.mean())) / gap
    se = math.sqrt(float((influence**2).sum()) / (len(t) - 1) / len(t))
    return float(value), se


def score_step(n_public: int) -> float:
    """The grid a released public accuracy sits on: 1/sqrt(n) rounded up to 0.001.

    That is about twice the accuracy's sampling noise on n rows, so a step up is a real
    improvement, and a score on the grid says little about any single row's label.
    """
    if n_public < 1:
        raise ValueError(f"the public half needs at least one row, got {n_public}")
    return math.ceil(1000 / math.sqrt(n_public) - 1e-9) / 1000


def on_grid(value: float, step: float) -> float:
    """`value` rounded to the nearest multiple of `step` (6 decimals, to drop float noise)."""
    return round(round(value / step) * step, 6)

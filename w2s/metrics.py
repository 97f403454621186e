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

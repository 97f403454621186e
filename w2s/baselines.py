"""Weak and ceiling baselines of one task instance and training seed, computed once and cached.

The weak supervisor trains on `train_label` ground truth; its P(y=1) on `train_unlabel` are
the student's weak labels. The ceiling is the strong model trained on `train_unlabel` ground
truth. Both are predicted on `test`. The cache key holds the task's digest, the data
instance and the seed, so a changed task constant can never reuse an old baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2s.cache import Cache, digest
from w2s.tasks.base import Task, TaskData
from w2s.train import Schedule, build_model, fit, predict_proba

# Bump when the way baselines are computed changes, so old cache entries are ignored.
FORMAT = 1


@dataclass(frozen=True)
class SeedBaseline:
    """P(y=1) per row: the weak supervisor on train_unlabel and test, the ceiling on test."""

    weak_unlabel: np.ndarray
    weak_test: np.ndarray
    ceiling_test: np.ndarray


def compute(task: Task, data: TaskData, seed: int) -> SeedBaseline:
    weak = task.weak()
    weak.fit(data.train_label.weak_x, data.train_label.y, seed=seed)
    spec = task.strong
    ceiling = build_model(spec.build, data.train_unlabel.strong_x.shape[1], seed)
    if spec.lora is not None and spec.adapt is not None:
        ceiling = spec.adapt(ceiling, spec.lora)
    schedule = Schedule(
        spec.epochs, spec.lr, spec.batch_size, spec.weight_decay, spec.grad_accum, spec.warmup
    )
    fit(
        ceiling,
        data.train_unlabel.strong_x,
        data.train_unlabel.y.astype(np.float32),
        schedule=schedule,
        seed=seed,
    )
    return SeedBaseline(
        weak_unlabel=np.asarray(weak.predict_proba(data.train_unlabel.weak_x), dtype=np.float64),
        weak_test=np.asarray(weak.predict_proba(data.test.weak_x), dtype=np.float64),
        ceiling_test=predict_proba(ceiling, data.test.strong_x),
    )


def seed_baseline(
    task: Task, data: TaskData, instance: str, seed: int, cache: Cache | None = None
) -> SeedBaseline:
    """The baseline of `seed` on the data instance named `instance` (a digest of its source
    and data seed), from `cache` when it is there."""
    key = digest({"task": task.digest(), "instance": instance, "seed": seed, "format": FORMAT})
    if cache is not None:
        hit = cache.get_arrays("baselines", key)
        if hit is not None and set(hit) == {"weak_unlabel", "weak_test", "ceiling_test"}:
            return SeedBaseline(**hit)
    result = compute(task, data, seed)
    if cache is not None:
        cache.put_arrays("baselines", key, result.__dict__)
    return result


def instance_key(task: Task, data_source: str | None, data_seed: int) -> str:
    """Names one data instance of a task without revealing its seed."""
    return digest({"task": task.digest(data_source), "data_seed": str(data_seed)})

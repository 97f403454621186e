"""Prepare a task for a run: build it from a secret seed, compute baselines, write its dirs.

The data seed is a fresh 128-bit secret unless the caller gives one, so an agent that can
import `w2s` still cannot rebuild the labels. The baselines (the expensive part) are cached
by the digest of the task config, data instance and seed; preparing the same instance again
is a cache hit.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2s.baselines import SeedBaseline, instance_key, seed_baseline
from w2s.bundle import MANIFEST, BundleSplit, write_bundle
from w2s.bundle_readme import render
from w2s.cache import Cache
from w2s.errors import BundleError, TaskError
from w2s.hidden import write_hidden
from w2s.metrics import accuracy, mean_se, on_grid, score_step
from w2s.tasks import get_task


@dataclass(frozen=True)
class Prepared:
    task_id: str
    bundle_dir: Path
    hidden_dir: Path
    baselines: dict[str, Any]


def public_mask(secret: int, n: int) -> np.ndarray:
    """The public half of the test rows, from a permutation only the secret seed gives."""
    order = np.random.default_rng([secret, 0x7E57]).permutation(n)
    mask = np.zeros(n, dtype=bool)
    mask[order[: n // 2]] = True
    return mask


def summarise(bases: list[SeedBaseline], y: np.ndarray, public: np.ndarray) -> dict[str, Any]:
    """Accuracy on each half: the weak supervisor whose labels the bundle holds (seed 0), and the
    ceiling averaged over seeds."""
    halves = {"public": public, "private": ~public, "test": np.ones_like(public)}
    out: dict[str, Any] = {"seeds": len(bases), "weak": {}, "ceiling": {}, "weak_seeds": {}}
    for half, mask in halves.items():
        out["weak"][half] = accuracy(bases[0].weak_test[mask], y[mask])
        weak_all = [accuracy(b.weak_test[mask], y[mask]) for b in bases]
        ceiling = [accuracy(b.ceiling_test[mask], y[mask]) for b in bases]
        c_mean, c_se = mean_se(ceiling)
        w_mean, w_se = mean_se(weak_all)
        out["ceiling"][half] = c_mean
        out["ceiling"][f"{half}_se"] = c_se
        out["ceiling"][f"{half}_per_seed"] = ceiling
        out["weak_seeds"][half] = {"mean": w_mean, "se": w_se, "per_seed": weak_all}
    return out


def _clear(*targets: tuple[Path, str]) -> None:
    """Remove previous bundle and hidden dirs, refusing (before removing any) to touch a
    directory that lacks the marker file of ours."""
    for path, marker in targets:
        if path.exists() and not (path / marker).is_file():
            raise BundleError(
                f"{path} exists and is not a prepared task's directory; choose another --out"
            )
    for path, _ in targets:
        if path.exists():
            shutil.rmtree(path)


def prepare(
    task: str,
    out_dir: Path,
    *,
    data: str | None = None,
    seed: int | None = None,
    seeds: int = 3,
    cache_dir: Path | None = None,
    step: float | None = None,
) -> Prepared:
    """Write `out_dir/bundle` (for agents, no labels) and `out_dir/hidden` (for the scorer).

    The bundle's baselines sit on the grid of released scores (`step`, default
    `score_step` of the public half's size), so they pin no more than a released score does.
    """
    if seeds < 1:
        raise TaskError(f"seeds must be at least 1, got {seeds}")
    spec = get_task(task)
    secret = seed if seed is not None else secrets.randbits(128)
    cache = Cache(cache_dir)
    instance = spec.build(secret, data, cache_dir=cache.root)
    key = instance_key(spec, data, secret)
    bases = [seed_baseline(spec, instance, key, s, cache) for s in range(seeds)]
    test_y = instance.test.y
    public = public_mask(secret, len(test_y))
    hidden_baselines = summarise(bases, test_y, public)
    step = step or score_step(int(public.sum()))
    visible = {
        "task": spec.id,
        "weak_accuracy_public": on_grid(hidden_baselines["weak"]["public"], step),
        "ceiling_accuracy_public": on_grid(hidden_baselines["ceiling"]["public"], step),
        "ceiling_seeds": seeds,
        "step": step,
        "note": (
            "accuracy on the public half of the test rows, on the grid of released scores"
            " (multiples of step); PGR is measured against these"
        ),
    }
    out_dir = Path(out_dir)
    bundle_dir, hidden_dir = out_dir / "bundle", out_dir / "hidden"
    _clear((bundle_dir, MANIFEST), (hidden_dir, "task.json"))
    teacher = bases[0]
    splits = {
        "train_unlabel": BundleSplit(
            instance.train_unlabel.weak_x, instance.train_unlabel.strong_x, teacher.weak_unlabel
        ),
        "test": BundleSplit(instance.test.weak_x, instance.test.strong_x, teacher.weak_test),
    }
    rows = {name: len(s.weak_soft) for name, s in splits.items()}
    write_hidden(
        hidden_dir,
        task={"task": spec.id, "data": data, "seed": str(secret), "digest": spec.digest(data)},
        labels={
            "train_label_y": instance.train_label.y,
            "train_unlabel_y": instance.train_unlabel.y,
            "test_y": test_y,
            "test_public": public,
        },
        baselines=hidden_baselines,
    )
    write_bundle(
        bundle_dir,
        task_id=spec.id,
        task_description=spec.description,
        splits=splits,
        baselines=visible,
        readme=render(spec.id, spec.description, rows, visible),
    )
    return Prepared(spec.id, bundle_dir, hidden_dir, hidden_baselines)

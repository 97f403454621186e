"""The `toy-v2` task: the toy with no answer key in its code.

The strong model "knows" several salient concepts, not one: independent latents
f_0..f_K, each with its own salience in strong_x. One of them is the concept (y = [f > 0]);
the others are nuisance concepts. Every concept has a cue, q_k = rho_k f_k + noise, and the
weak model sees a random rotation of all the cues (plus distractors), so no column of
weak_x is any one cue; trained on ground truth it learns to lean on the concept's cue, so
its labels pull towards that cue. The strong model sees another random rotation of
[s_k f_k, t_k q_k, noise latents], so a student can imitate the weak mistakes through the
concept's cue, and every cue is as visible in strong_x as the concept's.

Which latent is the concept, both rotations, every salience and every correlation are
drawn per instance from the secret data seed, inside the ranges in CONFIG, and the
concept's draws come from the same ranges as the nuisances'. So the structure of the
inputs alone (principal components, any column of weak_x, the directions weak_x and
strong_x share) does not say which salient concept is the label, nor its sign: only the
weak labels do.

An instance's `draws(seed)` gives what was drawn (for tests and benchmarks; the secret seed
of a prepared task never leaves the engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2s.errors import TaskError
from w2s.models import TorchSupervisor, mlp
from w2s.tasks.base import Split, StrongSpec, Task, TaskData
from w2s.tasks.registry import register_task
from w2s.train import Schedule

CONFIG: dict[str, Any] = {
    "rows_per_split": 4000,  # train_label and train_unlabel
    # The test split: its public half (8000 rows) sets the Ladder's step, 1/sqrt(8000) rounded
    # up, 0.012, about 0.05 PGR on this task's gap; on 2000 public rows a step was 0.023, about
    # 0.09 PGR, coarser than most differences between methods, so released scores could
    # hardly steer a search. Test rows cost only inference.
    "test_rows": 16000,
    "concepts": [3, 5],  # salient latents, the label's concept among them (inclusive range)
    "salience": [1.6, 2.4],  # of every concept in strong_x, each drawn
    "rho": [0.5, 0.62],  # correlation of each concept with its cue, each drawn
    "cue_salience": [1.2, 1.6],  # of every cue in strong_x, each drawn
    "weak_cue_noise": 0.3,
    "weak_distractors": 6,
    "noise_latents": 30,
    "strong_noise": 0.1,
    "weak_model": {"hidden": 32, "depth": 1, "epochs": 5, "lr": 3e-3, "batch_size": 256},
    "strong_model": {"hidden": 128, "depth": 1, "epochs": 10, "lr": 3e-3, "batch_size": 256},
}


@dataclass(frozen=True)
class Draws:
    """What one instance drew: the concept's index among the salient latents, the saliences,
    the cue correlations and the two rotations (weak_x = [cues, distractors] @ weak_rotation.T,
    so weak_rotation[:, concept] is the direction of the concept's cue in weak_x)."""

    concept: int
    salience: np.ndarray
    rho: np.ndarray
    cue_salience: np.ndarray
    rotation: np.ndarray
    weak_rotation: np.ndarray


def _uniform(rng: np.random.Generator, name: str, size: int) -> np.ndarray:
    lo, hi = CONFIG[name]
    return rng.uniform(float(lo), float(hi), size=size)


def draws(seed: int) -> Draws:
    rng = np.random.default_rng([seed, 2])
    lo, hi = CONFIG["concepts"]
    k = int(rng.integers(lo, hi + 1))
    salience = _uniform(rng, "salience", k)
    rho = _uniform(rng, "rho", k)
    concept = int(rng.integers(k))
    dim = 2 * k + CONFIG["noise_latents"]
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    weak_dim = k + CONFIG["weak_distractors"]
    weak_rotation, _ = np.linalg.qr(rng.standard_normal((weak_dim, weak_dim)))
    return Draws(
        concept=concept,
        salience=salience,
        rho=rho,
        cue_salience=_uniform(rng, "cue_salience", k),
        rotation=rotation,
        weak_rotation=weak_rotation,
    )


def _sample(rng: np.random.Generator, n: int, d: Draws) -> Split:
    cfg = CONFIG
    k = len(d.salience)
    f = rng.standard_normal((n, k))
    q = d.rho * f + np.sqrt(1.0 - d.rho**2) * rng.standard_normal((n, k))
    weak = (
        np.column_stack(
            [
                q + cfg["weak_cue_noise"] * rng.standard_normal((n, k)),
                rng.standard_normal((n, cfg["weak_distractors"])),
            ]
        )
        @ d.weak_rotation.T
    )
    latents = np.column_stack(
        [
            f * d.salience,
            q * d.cue_salience,
            rng.standard_normal((n, cfg["noise_latents"])),
        ]
    )
    strong = latents @ d.rotation.T + cfg["strong_noise"] * rng.standard_normal(latents.shape)
    y = (f[:, d.concept] > 0).astype(np.int64)
    return Split(weak.astype(np.float32), strong.astype(np.float32), y)


def build(seed: int, data: str | None, *, cache_dir: Path | None = None) -> TaskData:
    """The three splits of one instance, all drawn from `seed` (generated, never cached)."""
    if data is not None:
        raise TaskError("the toy task is generated from its seed; it takes no data source")
    d = draws(seed)
    rng = np.random.default_rng([seed, 3])
    n = CONFIG["rows_per_split"]
    return TaskData(
        train_label=_sample(rng, n, d),
        train_unlabel=_sample(rng, n, d),
        test=_sample(rng, CONFIG["test_rows"], d),
    )


def weak() -> TorchSupervisor:
    w = CONFIG["weak_model"]
    return TorchSupervisor(
        mlp(w["hidden"], w["depth"]), Schedule(w["epochs"], w["lr"], w["batch_size"])
    )


_strong = CONFIG["strong_model"]

TOY_V2 = register_task(
    Task(
        id="toy-v2",
        description=(
            "Synthetic: the strong model sees several salient concepts, one of which is the "
            "label; the weak model sees a cue of each and leans on the label's cue, so a "
            "student can imitate its mistakes. Which concept is the label is secret."
        ),
        build=build,
        weak=weak,
        strong=StrongSpec(
            build=mlp(_strong["hidden"], _strong["depth"]),
            epochs=_strong["epochs"],
            lr=_strong["lr"],
            batch_size=_strong["batch_size"],
        ),
        config=CONFIG,
    )
)

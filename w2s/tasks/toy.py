"""The `toy` task: synthetic, built on a CPU in a second, showing weak-to-strong behaviour.

A latent concept c ~ N(0, 1) sets the label y = [c > 0]. A cue q = rho*c + sqrt(1-rho^2)*eps
is correlated with c. The weak model sees q (plus noise) and distractor dimensions, so it
reaches about 0.68 and its mistakes are structured: it is wrong exactly where q misleads.
The strong model sees a random rotation of [s*c, q, noise latents] plus a little noise; with
s > 1 the true concept is salient (the role of pretraining), but q is there too, so a student
trained on weak labels can imitate the weak mistakes through q. Methods that resist imitation
recover much of the gap; naive transfer recovers little.

Everything, the rotation included, comes from the data seed, so without the secret seed of a
prepared task the code cannot regenerate its labels.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TypedDict

import numpy as np

from w2s.errors import TaskError
from w2s.models import TorchSupervisor, mlp
from w2s.tasks.base import Split, StrongSpec, Task, TaskData
from w2s.tasks.registry import register_task
from w2s.train import Schedule


class _ModelConfig(TypedDict):
    hidden: int
    depth: int
    epochs: int
    lr: float
    batch_size: int


class _ToyConfig(TypedDict):
    rows_per_split: int
    rho: float
    weak_cue_noise: float
    weak_distractors: int
    salience: float
    noise_latents: int
    strong_noise: float
    weak_model: _ModelConfig
    strong_model: _ModelConfig


CONFIG: _ToyConfig = {
    "rows_per_split": 4000,
    "rho": 0.55,
    "weak_cue_noise": 0.3,
    "weak_distractors": 8,
    "salience": 2.0,
    "noise_latents": 30,
    "strong_noise": 0.1,
    "weak_model": {"hidden": 32, "depth": 1, "epochs": 5, "lr": 3e-3, "batch_size": 256},
    "strong_model": {"hidden": 128, "depth": 1, "epochs": 10, "lr": 3e-3, "batch_size": 256},
}


def _sample(rng: np.random.Generator, n: int, rotation: np.ndarray) -> Split:
    cfg = CONFIG
    rho = cfg["rho"]
    c = rng.standard_normal(n)
    q = rho * c + math.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    weak_x = np.column_stack(
        [
            q + cfg["weak_cue_noise"] * rng.standard_normal(n),
            rng.standard_normal((n, cfg["weak_distractors"])),
        ]
    )
    latents = np.column_stack(
        [cfg["salience"] * c, q, rng.standard_normal((n, cfg["noise_latents"]))]
    )
    strong_x = latents @ rotation.T + cfg["strong_noise"] * rng.standard_normal(latents.shape)
    return Split(weak_x.astype(np.float32), strong_x.astype(np.float32), (c > 0).astype(np.int64))


def build(seed: int, data: str | None, *, cache_dir: Path | None = None) -> TaskData:
    """The three splits of one toy instance, all drawn from `seed` (nothing is cached: it is
    generated faster than it is read)."""
    if data is not None:
        raise TaskError("the toy task is generated from its seed; it takes no data source")
    rng = np.random.default_rng(seed)
    dim = 2 + CONFIG["noise_latents"]
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    n = CONFIG["rows_per_split"]
    return TaskData(
        train_label=_sample(rng, n, rotation),
        train_unlabel=_sample(rng, n, rotation),
        test=_sample(rng, n, rotation),
    )


def weak() -> TorchSupervisor:
    w = CONFIG["weak_model"]
    return TorchSupervisor(
        mlp(w["hidden"], w["depth"]), Schedule(w["epochs"], w["lr"], w["batch_size"])
    )


_strong = CONFIG["strong_model"]

TOY = register_task(
    Task(
        id="toy-v1",
        description=(
            "Synthetic: the weak model sees a cue correlated with the true concept; the strong "
            "model sees the concept (salient) and the cue, and can imitate the weak mistakes."
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

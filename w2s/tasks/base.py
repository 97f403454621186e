"""The shapes every task shares: splits of (weak features, strong features, labels), and a Task.

A task is data plus the two models that act on it. Its `build(seed, data, *, cache_dir=None)`
turns a data seed (and, for tasks backed by a dataset, a data source) into `TaskData`, keeping
whatever it computes once (e.g. text features) under `cache_dir` (None: the default cache);
its `weak` factory gives an untrained weak supervisor; its `strong` spec builds the torch
module that the shared training core trains as the ceiling and as the student. Losses,
methods, training, PGR, the bundle and the grader are shared by every task and
never look inside a task.

Extension points for a new task (e.g. a text task with TF-IDF weak features and sentence
embeddings as strong features):

- `Split`: per example, `weak_x` (the weak model's input), `strong_x` (the strong model's
  input) and `y` (0/1), all numpy arrays with the same first dimension.
- `WeakSupervisor`: anything with `fit(x, y, seed=)` and `predict_proba(x)`; it need not
  be torch (a scikit-learn logistic regression on TF-IDF fits). `w2s.models.TorchSupervisor`
  wraps a torch module trained by the shared core.
- `StrongSpec.build(in_features)`: a `torch.nn.Module` mapping a float tensor of shape
  `(n, in_features)` to one logit per row, shape `(n,)`; e.g. a linear probe or an MLP.
- `Task.config`: every constant that changes the data or the models; its digest keys the
  caches, so changing a constant without bumping the version can never reuse old results.
- Register with `w2s.tasks.register_task(Task(id="name-vN", ...))`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from w2s.errors import TaskError

if TYPE_CHECKING:
    import torch

    from w2s.methods.adapters import LoraSettings

SPLITS = ("train_label", "train_unlabel", "test")


@dataclass(frozen=True)
class Split:
    """One split: per row, the weak model's input, the strong model's input and the 0/1 label."""

    weak_x: np.ndarray
    strong_x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.y)
        if self.y.ndim != 1:
            raise TaskError(f"labels must be one-dimensional, got shape {self.y.shape}")
        for name in ("weak_x", "strong_x"):
            arr = getattr(self, name)
            if arr.ndim != 2 or arr.shape[0] != n:
                raise TaskError(
                    f"{name} must have shape (n, features) with n={n} rows, got {arr.shape}"
                )
        if n and not np.isin(self.y, (0, 1)).all():
            raise TaskError("labels must be 0 or 1")

    def __len__(self) -> int:
        return len(self.y)

    def take(self, index: np.ndarray) -> Split:
        """The rows at `index`, in that order."""
        return Split(self.weak_x[index], self.strong_x[index], self.y[index])


@dataclass(frozen=True)
class TaskData:
    """The splits of one task instance: `train_label` trains the weak supervisor only,
    `train_unlabel` is the student's data (and the ceiling's, with ground truth),
    `test` is held out; the test split is later divided into public and private halves."""

    train_label: Split
    train_unlabel: Split
    test: Split

    def split(self, name: str) -> Split:
        if name not in SPLITS:
            raise TaskError(f"unknown split {name!r}; splits are {', '.join(SPLITS)}")
        return getattr(self, name)


class WeakSupervisor(Protocol):
    """The weak model: trained on ground truth of `train_label`; its P(y=1) are the weak labels."""

    def fit(self, x: np.ndarray, y: np.ndarray, *, seed: int) -> None: ...

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(y=1) per row, shape (n,)."""
        ...


@dataclass(frozen=True)
class StrongSpec:
    """How to build the strong model, and how the ceiling is trained on ground truth.

    `adapt(model, lora)` gives a built model LoRA adapters (None: the model cannot take
    any, e.g. a linear probe); `lora` is the ceiling's (None: every weight trains).
    """

    build: Callable[[int], torch.nn.Module]
    epochs: int = 2
    lr: float = 1e-3
    batch_size: int = 256
    weight_decay: float = 0.0
    grad_accum: int = 1
    warmup: float = 0.0
    adapt: Callable[[torch.nn.Module, LoraSettings], torch.nn.Module] | None = None
    lora: LoraSettings | None = None

    @property
    def adapters(self) -> tuple[str, ...]:
        """The adapters a method config may ask of this model."""
        return ("lora",) if self.adapt is not None else ()


class TaskBuilder(Protocol):
    """`build(seed, data, *, cache_dir=None)`: the splits of one data seed; a task backed by a
    dataset keeps what it computes once (features) under `cache_dir`."""

    def __call__(
        self, seed: int, data: str | None, *, cache_dir: Path | None = None
    ) -> TaskData: ...


@dataclass(frozen=True)
class Task:
    """A versioned task: `id` is `name-vN`; a change of data or models is a new version."""

    id: str
    description: str
    build: TaskBuilder
    weak: Callable[[], WeakSupervisor]
    strong: StrongSpec
    config: Mapping[str, Any] = field(default_factory=dict)
    # Method-config defaults that suit this task better than the global ones (e.g. a lr).
    method_defaults: Mapping[str, Any] = field(default_factory=dict)
    # Hugging Face hub ids of the models it loads: resolved from the cache before preparing.
    models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        name, sep, version = self.id.rpartition("-v")
        if not sep or not name or not version.isdigit():
            raise TaskError(f"task id {self.id!r} must look like NAME-vN, e.g. 'toy-v1'")

    @property
    def name(self) -> str:
        return self.id.rpartition("-v")[0]

    @property
    def version(self) -> int:
        return int(self.id.rpartition("-v")[2])

    def digest(self, data: str | None = None) -> str:
        """A stable digest of the task's identity, constants and data source; keys every cache."""
        blob = json.dumps(
            {"id": self.id, "config": dict(self.config), "data": data},
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

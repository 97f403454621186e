"""Model builders shared by tasks: an MLP, a linear probe, and a torch weak supervisor.

A builder takes the number of input features and returns a module mapping `(n, features)`
to one logit per row, so the training core needs nothing else to know about a model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from w2s.torchenv import torch
from w2s.train import Schedule, build_model, fit, predict_proba

if TYPE_CHECKING:
    from torch import nn


def mlp(hidden: int, depth: int = 1) -> Callable[[int], nn.Module]:
    """A builder of ReLU MLPs with `depth` hidden layers of width `hidden`."""

    def build(in_features: int) -> nn.Module:
        t = torch()
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(depth):
            layers += [t.nn.Linear(width, hidden), t.nn.ReLU()]
            width = hidden
        layers.append(t.nn.Linear(width, 1))
        return t.nn.Sequential(*layers)

    return build


def linear_probe() -> Callable[[int], nn.Module]:
    """A builder of a single linear layer: the strong model as a probe on frozen features."""

    def build(in_features: int) -> nn.Module:
        return torch().nn.Linear(in_features, 1)

    return build


@dataclass
class TorchSupervisor:
    """A weak supervisor that is a torch module trained by the shared core on hard labels."""

    build: Callable[[int], nn.Module]
    schedule: Schedule
    _model: nn.Module | None = None

    def fit(self, x: np.ndarray, y: np.ndarray, *, seed: int) -> None:
        self._model = build_model(self.build, x.shape[1], seed)
        fit(self._model, x, y.astype(np.float32), schedule=self.schedule, seed=seed)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("fit the weak supervisor before asking for its predictions")
        return predict_proba(self._model, x)

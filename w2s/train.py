"""The one training core: a torch module on numpy features, full or large batches on CPU tensors.

Every task's ceiling, student and (torch) weak supervisor go through `fit`, so a loss or a
method written once works for every task. Batches are slices of one shuffled tensor: no
DataLoader, whose per-batch overhead dwarfs the compute of these models.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from w2s.losses import LOSS_FUNCTIONS
from w2s.torchenv import torch

if TYPE_CHECKING:
    from torch import Tensor, nn
    from torch import device as Device


@dataclass(frozen=True)
class Schedule:
    """How long and how fast to train: `batch_size` rows per step, taken in `grad_accum`
    micro-batches; the learning rate rises over the first `warmup` share of steps, then
    decays along a cosine to zero."""

    epochs: int = 2
    lr: float = 1e-3
    batch_size: int = 256
    weight_decay: float = 0.0
    grad_accum: int = 1
    warmup: float = 0.0

    def lr_at(self, step: int, total: int) -> float:
        warm = int(self.warmup * total)
        if step < warm:
            return self.lr * (step + 1) / warm
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


@dataclass(frozen=True)
class EarlyStop:
    """Keep the checkpoint that best agrees with weak labels on a held-back slice."""

    x: np.ndarray
    target: np.ndarray
    evals_per_epoch: int = 4


@dataclass
class FitResult:
    losses: list[float] = field(default_factory=list)
    best_step: int | None = None
    steps: int = 0
    seconds: float = 0.0


class Adam:
    """Adam (with L2 weight decay), written out because importing `torch.optim` pulls in
    torch's compiler stack and costs about a second of start-up in every runner process."""

    def __init__(
        self,
        params: list[Tensor],
        *,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        t = torch()
        self.params = [p for p in params if p.requires_grad]
        self.m = [t.zeros_like(p) for p in self.params]
        self.v = [t.zeros_like(p) for p in self.params]
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self, lr: float) -> None:
        b1, b2 = self.betas
        self.steps += 1
        correction1 = 1.0 - b1**self.steps
        correction2_sqrt = math.sqrt(1.0 - b2**self.steps)
        with torch().no_grad():
            for p, m, v in zip(self.params, self.m, self.v, strict=True):
                if p.grad is None:
                    continue
                g = p.grad if not self.weight_decay else p.grad.add(p, alpha=self.weight_decay)
                m.mul_(b1).add_(g, alpha=1.0 - b1)
                v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
                denom = (v.sqrt() / correction2_sqrt).add_(self.eps)
                p.addcdiv_(m, denom, value=-lr / correction1)


def as_tensor(x: np.ndarray) -> Tensor:
    t = torch()
    if np.issubdtype(x.dtype, np.floating):
        return t.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    return t.from_numpy(np.ascontiguousarray(x))


def build_model(build: Callable[[int], nn.Module], in_features: int, seed: int) -> nn.Module:
    """A fresh module whose initial weights depend on `seed` only."""
    torch().manual_seed(seed)
    return build(in_features)


def fit(
    model: nn.Module,
    x: np.ndarray,
    target: np.ndarray,
    *,
    schedule: Schedule,
    seed: int,
    loss: str = "xent",
    loss_options: dict[str, float] | None = None,
    early_stop: EarlyStop | None = None,
) -> FitResult:
    """Train `model` on rows `x` towards `target` (P(y=1) per row) with a cosine-decayed Adam.

    A batch in micro-batches gives the gradient of the whole batch: each piece's mean loss
    is weighted by its share of the rows before its backward pass."""
    t = torch()
    started = time.perf_counter()
    device = _device(model)
    xs, ys = as_tensor(x).to(device), as_tensor(target.astype(np.float32)).to(device)
    loss_fn = LOSS_FUNCTIONS[loss]
    options = loss_options or {}
    n = len(ys)
    batch = max(1, min(schedule.batch_size, n))
    per_epoch = math.ceil(n / batch)
    total = max(1, per_epoch * schedule.epochs)
    optimiser = Adam(list(model.parameters()), weight_decay=schedule.weight_decay)
    generator = t.Generator().manual_seed(seed)
    result = FitResult()
    eval_every = (
        max(1, per_epoch // max(1, early_stop.evals_per_epoch)) if early_stop is not None else 0
    )
    best: tuple[float, dict[str, Tensor]] | None = None
    model.train()
    step = 0
    for _ in range(schedule.epochs):
        order = t.randperm(n, generator=generator)
        for start in range(0, n, batch):
            idx = order[start : start + batch].to(device)
            optimiser.zero_grad()
            value = 0.0
            for piece in idx.split(math.ceil(len(idx) / schedule.grad_accum)):
                logits = model(xs[piece]).reshape(-1)
                part = loss_fn(logits, ys[piece], step / total, **options) * (len(piece) / len(idx))
                part.backward()
                value += float(part.detach())
            optimiser.step(schedule.lr_at(step, total))
            step += 1
            result.losses.append(value)
            if early_stop is not None and (step % eval_every == 0 or step == total):
                score = _agreement(model, early_stop)
                if best is None or score > best[0]:
                    best = (score, copy.deepcopy(model.state_dict()))
                    result.best_step = step
                model.train()
    if best is not None:
        model.load_state_dict(best[1])
    model.eval()
    result.steps = step
    result.seconds = time.perf_counter() - started
    return result


def _agreement(model: nn.Module, stop: EarlyStop) -> float:
    p1 = predict_proba(model, stop.x)
    return float(((p1 > 0.5) == (stop.target > 0.5)).mean())


def predict_proba(model: nn.Module, x: np.ndarray, batch_size: int = 8192) -> np.ndarray:
    """P(y=1) per row of `x`."""
    t = torch()
    model.eval()
    xs = as_tensor(x).to(_device(model))
    out = []
    with t.inference_mode():
        for start in range(0, len(xs), batch_size):
            out.append(t.sigmoid(model(xs[start : start + batch_size]).reshape(-1)))
    return t.cat(out).float().cpu().numpy().astype(np.float64) if out else np.zeros(0)


def _device(model: nn.Module) -> Device:
    # The data follow the model: a task whose builder puts its model on a GPU trains there.
    first = next(model.parameters(), None)
    return first.device if first is not None else torch().device("cpu")

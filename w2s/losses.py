"""The transfer losses: `xent`, `logconf` and `product`, over one logit of class 1 per row.

Each takes the student's logits, the targets as P(y=1) (weak soft labels, or hard labels as
0/1) and the fraction of training done, and returns a scalar. Targets built from the
student's own predictions are detached: the student is pulled towards them, never the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from w2s.torchenv import torch

if TYPE_CHECKING:
    from torch import Tensor

LOSSES = ("xent", "logconf", "product")


def _two_class(p1: Tensor) -> Tensor:
    return torch().stack([1.0 - p1, p1], dim=-1)


def _soft_cross_entropy(logits: Tensor, target_p1: Tensor) -> Tensor:
    t = torch()
    return t.nn.functional.binary_cross_entropy_with_logits(logits, target_p1)


def xent(logits: Tensor, target: Tensor, step_frac: float, **_: float) -> Tensor:
    """Cross-entropy against the (soft) targets."""
    return _soft_cross_entropy(logits, target)


def logconf(
    logits: Tensor,
    target: Tensor,
    step_frac: float,
    *,
    aux_coef: float = 0.5,
    warmup_frac: float = 0.1,
    **_: float,
) -> Tensor:
    """Cross-entropy against a mix of the weak targets and the student's own hardened predictions.

    The student's predictions are hardened at the quantile that gives them the weak labels'
    class balance, so that confidence alone cannot flip the balance; the mixing coefficient
    grows linearly to `aux_coef` over the first `warmup_frac` of training.
    """
    t = torch()
    coef = aux_coef * min(1.0, step_frac / warmup_frac) if warmup_frac > 0 else aux_coef
    with t.no_grad():
        p1 = t.sigmoid(logits)
        share1 = float(target.mean())
        threshold = t.quantile(p1, min(max(1.0 - share1, 0.0), 1.0))
        hard = (p1 > threshold).to(target.dtype)
        mixed = (1.0 - coef) * target + coef * hard
    return _soft_cross_entropy(logits, mixed)


def product(
    logits: Tensor,
    target: Tensor,
    step_frac: float,
    *,
    alpha: float = 1.0,
    beta: float = 1.0,
    **_: float,
) -> Tensor:
    """Cross-entropy against targets proportional to preds^beta * labels^alpha."""
    t = torch()
    with t.no_grad():
        preds = _two_class(t.sigmoid(logits)).clamp_min(1e-6)
        labels = _two_class(target).clamp_min(1e-6)
        joint = preds.pow(beta) * labels.pow(alpha)
        mixed = joint[:, 1] / joint.sum(dim=-1)
    return _soft_cross_entropy(logits, mixed)


LossFn = Callable[..., "Tensor"]

LOSS_FUNCTIONS: dict[str, LossFn] = {"xent": xent, "logconf": logconf, "product": product}

"""The transfer losses: what each pulls the student towards."""

from __future__ import annotations

import pytest
import torch

from w2s.losses import logconf, product, xent


def _bce(logits: torch.Tensor, target: torch.Tensor) -> float:
    return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, target))


def test_xent_is_cross_entropy_on_soft_targets() -> None:
    logits = torch.tensor([2.0, -1.0, 0.5])
    target = torch.tensor([0.9, 0.2, 0.5])
    assert float(xent(logits, target, 0.3)) == pytest.approx(_bce(logits, target))


def test_logconf_starts_as_xent_and_warms_up_to_aux_coef() -> None:
    logits = torch.tensor([3.0, 2.0, -2.0, -3.0])
    target = torch.tensor([0.4, 0.4, 0.6, 0.6])
    assert float(logconf(logits, target, 0.0)) == pytest.approx(_bce(logits, target))
    # Past warm-up, half the target is the student's hardened prediction (aux_coef 0.5).
    hardened = torch.tensor([1.0, 1.0, 0.0, 0.0])
    expected = _bce(logits, 0.5 * target + 0.5 * hardened)
    assert float(logconf(logits, target, 0.5)) == pytest.approx(expected)
    halfway = _bce(logits, 0.75 * target + 0.25 * hardened)
    assert float(logconf(logits, target, 0.05, warmup_frac=0.1)) == pytest.approx(halfway)


def test_logconf_hardens_at_the_weak_labels_class_balance() -> None:
    # Every row looks positive to the student, but the weak labels say a quarter are: only the
    # student's most confident quarter is hardened to 1.
    logits = torch.tensor([4.0, 3.0, 2.0, 1.0])
    target = torch.tensor([0.25, 0.25, 0.25, 0.25])
    hardened = torch.tensor([1.0, 0.0, 0.0, 0.0])
    expected = _bce(logits, 0.5 * target + 0.5 * hardened)
    assert float(logconf(logits, target, 1.0)) == pytest.approx(expected)


def test_product_with_an_undecided_student_follows_the_labels() -> None:
    logits = torch.zeros(3)
    target = torch.tensor([0.9, 0.3, 0.5])
    assert float(product(logits, target, 0.5)) == pytest.approx(_bce(logits, target))


def test_product_multiplies_beliefs() -> None:
    logits = torch.logit(torch.tensor([0.8]))
    target = torch.tensor([0.8])
    # 0.8*0.8 / (0.8*0.8 + 0.2*0.2)
    expected = _bce(logits, torch.tensor([0.64 / 0.68]))
    assert float(product(logits, target, 0.5)) == pytest.approx(expected, rel=1e-5)


def test_losses_do_not_backpropagate_through_their_own_targets() -> None:
    logits = torch.tensor([1.0, -1.0, 0.3], requires_grad=True)
    target = torch.tensor([0.7, 0.2, 0.6])
    for loss in (logconf, product):
        (grad,) = torch.autograd.grad(loss(logits, target, 1.0), logits)
        p = torch.sigmoid(logits.detach())
        # d BCE / d logit = (sigmoid - target) / n, with the mixed target held constant.
        implied_target = p - grad * len(p)
        assert torch.all((implied_target >= 0) & (implied_target <= 1))

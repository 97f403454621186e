"""Each method of the method space trains and predicts, and does what its name says."""

from __future__ import annotations

import numpy as np
import pytest

from w2s.baselines import compute
from w2s.methods import parse_method_config
from w2s.methods.transfer import data_rows, select_confident, transfer
from w2s.metrics import accuracy
from w2s.tasks import get_task


@pytest.fixture(scope="module")
def toy():
    task = get_task("toy")
    data = task.build(11, None)
    return task, data, compute(task, data, 0)


def _run(toy, **fields):
    task, data, base = toy
    config = parse_method_config(fields)
    result = transfer(
        task.strong, data.train_unlabel.strong_x, base.weak_unlabel, data.test.strong_x, config
    )
    assert result.probs.shape == (len(data.test),)
    assert np.all((result.probs >= 0) & (result.probs <= 1))
    return result, accuracy(result.probs, data.test.y)


def test_confident_by_threshold_keeps_only_confident_rows() -> None:
    soft = np.array([0.5, 0.95, 0.1, 0.6, 0.02])
    config = parse_method_config({"method": "confident", "confidence_threshold": 0.9})
    np.testing.assert_array_equal(select_confident(soft, config), [1, 2, 4])


def test_confident_by_fraction_keeps_the_most_confident_share() -> None:
    soft = np.array([0.5, 0.95, 0.1, 0.6, 0.02, 0.7])
    config = parse_method_config({"method": "confident", "confident_fraction": 0.5})
    np.testing.assert_array_equal(select_confident(soft, config), [1, 2, 4])


def test_confident_method_trains_on_the_selected_rows(toy) -> None:
    result, _ = _run(toy, method="confident", confident_fraction=0.25)
    assert result.diagnostics["rows_trained_on"] == round(0.25 * len(toy[1].train_unlabel))


def test_self_training_trains_a_student_per_round(toy) -> None:
    one, _ = _run(toy)
    three, _ = _run(toy, method="self_training", rounds=3)
    assert three.diagnostics["optimiser_steps"] == 3 * one.diagnostics["optimiser_steps"]
    # What a transfer cost in CPU time is told, and three rounds cost more than one.
    assert 0 < one.diagnostics["cpu_seconds"] < three.diagnostics["cpu_seconds"]


def test_ensemble_averages_students_of_consecutive_seeds(toy) -> None:
    a, _ = _run(toy, seed=0)
    b, _ = _run(toy, seed=1)
    both, _ = _run(toy, ensemble=2)
    np.testing.assert_allclose(both.probs, (a.probs + b.probs) / 2, atol=1e-6)


def test_early_stopping_keeps_a_checkpoint_and_trains_on_the_rest(toy) -> None:
    result, _ = _run(toy, early_stopping=True, val_fraction=0.25, epochs=4)
    assert result.diagnostics["rows_trained_on"] == len(toy[1].train_unlabel)
    assert result.diagnostics["early_stopping_best_steps"]
    assert result.diagnostics["optimiser_steps"] == 4 * 12  # 3000 rows in batches of 256


def test_label_smoothing_and_hard_labels_change_the_student(toy) -> None:
    base, _ = _run(toy)
    smooth, _ = _run(toy, label_smoothing=0.3)
    hard, _ = _run(toy, labels="hard")
    assert not np.allclose(base.probs, smooth.probs)
    assert not np.allclose(base.probs, hard.probs)
    # Smoothed targets never ask for certainty, so the student is less confident.
    assert np.abs(smooth.probs - 0.5).mean() < np.abs(base.probs - 0.5).mean()


def test_same_config_same_predictions(toy) -> None:
    a, _ = _run(toy, loss="product", seed=3)
    b, _ = _run(toy, loss="product", seed=3)
    np.testing.assert_array_equal(a.probs, b.probs)


def test_diagnostics_need_no_ground_truth(toy) -> None:
    result, _ = _run(toy, loss="logconf")
    d = result.diagnostics
    assert 0.5 < d["agreement_with_weak_labels"] <= 1.0
    assert sum(d["confidence_histogram"]) == len(toy[1].test)
    assert d["train_loss_last_epoch"] > 0 and d["seconds"] > 0


def test_data_fraction_trains_on_that_share_of_the_rows(toy) -> None:
    result, _ = _run(toy, data_fraction=0.25)
    assert result.diagnostics["rows_trained_on"] == round(0.25 * len(toy[1].train_unlabel))


def test_data_seed_redraws_the_data_but_not_the_initialisation(toy) -> None:
    n = len(toy[1].train_unlabel)
    rows = [
        data_rows(n, parse_method_config({"data_fraction": 0.5, "data_seed": s})) for s in (1, 2)
    ]
    assert not np.array_equal(rows[0], rows[1])
    same_data = data_rows(n, parse_method_config({"data_fraction": 0.5, "data_seed": 1, "seed": 9}))
    np.testing.assert_array_equal(rows[0], same_data)
    # Full data: the data seed alone changes the batch order, hence the student.
    a, _ = _run(toy, data_seed=1)
    b, _ = _run(toy, data_seed=2)
    c, _ = _run(toy, data_seed=1)
    assert not np.allclose(a.probs, b.probs)
    np.testing.assert_array_equal(a.probs, c.probs)


def test_an_unset_data_seed_is_the_training_seed(toy) -> None:
    a, _ = _run(toy, seed=3)
    b, _ = _run(toy, seed=3, data_seed=3)
    np.testing.assert_array_equal(a.probs, b.probs)

"""The task registry and the data shapes every task shares."""

from __future__ import annotations

import numpy as np
import pytest

from w2s.errors import TaskError
from w2s.methods import parse_method_config
from w2s.methods.transfer import transfer
from w2s.metrics import accuracy
from w2s.models import linear_probe
from w2s.tasks import Split, StrongSpec, Task, TaskData, get_task, list_tasks, register_task


def test_bare_name_resolves_to_latest_version() -> None:
    assert get_task("toy").id == "toy-v2"
    assert get_task("toy-v2") is get_task("toy")
    # The older version stays, so a run prepared with it keeps meaning what it meant.
    assert get_task("toy-v1") is not get_task("toy")
    assert {"toy-v1", "toy-v2"} <= set(list_tasks())


def test_unknown_task_error_lists_known_tasks() -> None:
    with pytest.raises(TaskError, match=r"unknown task 'nope'.*toy-v1"):
        get_task("nope")


def test_task_id_must_be_versioned() -> None:
    toy = get_task("toy")
    with pytest.raises(TaskError, match="NAME-vN"):
        Task(id="toy", description="", build=toy.build, weak=toy.weak, strong=toy.strong)


def test_a_taken_id_cannot_be_registered_for_another_task() -> None:
    toy = get_task("toy")
    other = Task(id="toy-v1", description="x", build=toy.build, weak=toy.weak, strong=toy.strong)
    with pytest.raises(TaskError, match="already registered"):
        register_task(other)


def test_split_rejects_mismatched_rows_and_non_binary_labels() -> None:
    with pytest.raises(TaskError, match="strong_x"):
        Split(np.zeros((3, 2)), np.zeros((4, 2)), np.zeros(3, dtype=np.int64))
    with pytest.raises(TaskError, match="0 or 1"):
        Split(np.zeros((3, 2)), np.zeros((3, 2)), np.array([0, 1, 2]))


def test_digest_changes_with_constants_and_data_source() -> None:
    toy = get_task("toy")
    changed = Task(
        id="toy-v1",
        description="",
        build=toy.build,
        weak=toy.weak,
        strong=toy.strong,
        config={**toy.config, "rho": 0.6},
    )
    assert changed.digest() != toy.digest()
    assert toy.digest("a.jsonl") != toy.digest()


class _SignOfFirstFeature:
    """A weak supervisor that is not torch: what a scikit-learn model would plug in as."""

    def fit(self, x: np.ndarray, y: np.ndarray, *, seed: int) -> None:
        self.sign = 1.0 if np.mean((x[:, 0] > 0) == (y == 1)) >= 0.5 else -1.0

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-4.0 * self.sign * x[:, 0]))


def _linear_data(seed: int, data: str | None) -> TaskData:
    rng = np.random.default_rng(seed)

    def split(n: int) -> Split:
        z = rng.standard_normal((n, 2))
        y = (z[:, 0] > 0).astype(np.int64)
        weak = z[:, :1] * 0.3 + rng.standard_normal((n, 1))
        return Split(weak.astype(np.float32), z.astype(np.float32), y)

    return TaskData(split(400), split(400), split(400))


def test_a_task_brings_its_own_models_and_shares_the_training_core() -> None:
    task = register_task(
        Task(
            id="linear-test-v1",
            description="a linear task with a non-torch weak supervisor and a probe",
            build=_linear_data,
            weak=_SignOfFirstFeature,
            strong=StrongSpec(build=linear_probe(), epochs=20, lr=0.05),
        ),
        replace=True,
    )
    data = task.build(0, None)
    weak = task.weak()
    weak.fit(data.train_label.weak_x, data.train_label.y, seed=0)
    soft = weak.predict_proba(data.train_unlabel.weak_x)
    config = parse_method_config({"epochs": 20, "lr": 0.05})
    result = transfer(task.strong, data.train_unlabel.strong_x, soft, data.test.strong_x, config)
    assert result.probs.shape == (400,)
    assert accuracy(result.probs, data.test.y) > accuracy(
        weak.predict_proba(data.test.weak_x), data.test.y
    )

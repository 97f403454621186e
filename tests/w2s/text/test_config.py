"""Text task settings are checked when defined, and the registered text tasks are found by
name; the GPU setting is validated here though it runs only where a GPU and the hub are."""

from __future__ import annotations

import re

import pytest

from w2s.tasks import get_task, list_tasks
from w2s.text.config import TextTaskConfig
from w2s.text.errors import TextTaskError
from w2s.text.tasks import QWEN_CONFIG, TASKS


def test_text_tasks_are_registered_beside_the_toy_task() -> None:
    ids = list_tasks()
    for expected in ("toy-v1", "toy-v2", "hh-rlhf-v1", "hh-rlhf-binary-v1", "sciq-v1", "boolq-v1"):
        assert expected in ids
    assert get_task("hh-rlhf").id == "hh-rlhf-v1"


def test_the_gpu_setting_names_the_release_models_and_is_valid() -> None:
    assert QWEN_CONFIG.weak == "Qwen/Qwen1.5-0.5B-Chat"
    assert QWEN_CONFIG.strong == "Qwen/Qwen3-4B-Base"
    assert QWEN_CONFIG.data == "Anthropic/hh-rlhf:harmless-base"
    assert TextTaskConfig.from_dict(QWEN_CONFIG.to_dict()) == QWEN_CONFIG
    assert get_task("hh-rlhf-qwen").config["text"] == QWEN_CONFIG.to_dict()


def test_no_task_text_that_reaches_a_bundle_names_the_sides_of_a_pair() -> None:
    for task in TASKS:
        assert not re.search(r"chosen|rejected", task.description, re.IGNORECASE), task.id


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"dataset": "squad"}, "dataset 'squad' is not known; allowed: hh-rlhf"),
        ({"mode": "triplet"}, "allowed: binary, pairwise"),
        ({"dataset": "boolq", "mode": "pairwise"}, "use mode 'binary'"),
        ({"strong": "tfidf"}, "strong must be an encoder"),
        ({"max_length": 2}, "max_length must be a whole number of at least 8"),
        ({"max_train": 0}, "max_train must be empty or a whole number"),
        ({"view": "middle"}, "view 'middle' is not known"),
        ({"dataset": "sciq", "view": "reply"}, "only for hh-rlhf"),
        ({"epochs": 3}, "unknown text task setting 'epochs'; allowed: data, dataset"),
    ],
)
def test_a_bad_setting_is_named_with_what_is_allowed(settings: dict, message: str) -> None:
    with pytest.raises(TextTaskError, match=re.escape(message)):
        TextTaskConfig.from_dict(settings)

"""A text task whose strong model is fine-tuned: the GPU task's config, with a tiny BERT made
here from a config in place of the hub models, trained by the shared core on the CPU as the
ceiling, as a student, and by the runner on a prepared bundle."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.w2s.text.conftest import write_jsonl_gz
from w2s.baselines import seed_baseline
from w2s.methods.config import parse_method_config
from w2s.methods.transfer import transfer
from w2s.metrics import accuracy
from w2s.prepare import prepare
from w2s.runner import run
from w2s.tasks import Task, get_task, register_task
from w2s.text.config import TextTaskConfig
from w2s.text.errors import TextTaskError
from w2s.text.strong import PAD
from w2s.text.tasks import text_task

MAX_LENGTH = 24
# The tiny model learns fast from scratch; the registered task's small lr suits pretrained ones.
SCHEDULE = {"epochs": 20, "lr": 3e-3, "batch_size": 8, "weight_decay": 0.0}
GOOD = ["great", "lovely", "excellent", "kind", "helpful"]
BAD = ["awful", "terrible", "rude", "nasty", "useless"]
TOPICS = ["the film", "my garden", "a recipe", "the weather", "this book", "the trip"]


def transcript(topic: str, reply: str) -> str:
    return f"\n\nHuman: what do you think of {topic}?\n\nAssistant: {reply}"


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Preference pairs whose preferred reply is the kind one: learnable from the words."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(90):
        topic = TOPICS[i % len(TOPICS)]
        good, bad = rng.choice(GOOD, 2, replace=False), rng.choice(BAD, 2, replace=False)
        rows.append(
            {
                "chosen": transcript(topic, f"{topic} is {good[0]} and {good[1]}"),
                "rejected": transcript(topic, f"{topic} is {bad[0]} and {bad[1]}"),
            }
        )
    return write_jsonl_gz(tmp_path_factory.mktemp("pairs") / "pairs.jsonl.gz", rows)


@pytest.fixture(scope="module")
def task(tiny_model: Path) -> Task:
    """The registered GPU task's config with the tiny local model for both hub models."""
    documented = get_task("hh-rlhf-qwen-finetune").config["text"]
    assert documented["strong_training"] == "finetune"
    config = replace(
        TextTaskConfig.from_dict(documented),
        data=None,
        weak="tfidf",
        strong=str(tiny_model),
        max_length=MAX_LENGTH,
        tfidf_features=64,
    )
    # A lightly regularised weak model: a few dozen rows would otherwise leave it at the prior.
    return text_task(
        "hh-rlhf-tiny-finetune-v1", "fine-tuned tiny BERT", config, probe=SCHEDULE, weak_c=100.0
    )


def test_the_gpu_task_fine_tunes_its_strong_model_with_a_small_lr() -> None:
    qwen = get_task("hh-rlhf-qwen-finetune")
    assert qwen.config["text"]["strong"] == "Qwen/Qwen3-4B-Base"
    assert qwen.strong.lr <= 1e-4 and qwen.method_defaults["lr"] == qwen.strong.lr
    # The probe tasks keep their config (and so their digest and cached baselines).
    assert "strong_training" not in get_task("hh-rlhf").config["text"]


def test_strong_rows_are_token_ids(task: Task, pairs_file: Path, tmp_path: Path) -> None:
    data = task.build(0, str(pairs_file), cache_dir=tmp_path)
    x = data.test.strong_x
    assert x.shape == (len(data.test), MAX_LENGTH)  # binary: one text per row
    assert np.array_equal(x, x.round()) and x.min() >= PAD and (x > 0).any()


def test_the_core_fine_tunes_the_ceiling_and_a_student(
    task: Task, pairs_file: Path, tmp_path: Path
) -> None:
    data = task.build(0, str(pairs_file), cache_dir=tmp_path)
    base = seed_baseline(task, data, "tiny-finetune", 0)
    assert accuracy(base.ceiling_test, data.test.y) >= 0.9
    config = parse_method_config({"loss": "logconf", "seed": 0}, defaults=task.method_defaults)
    result = transfer(
        task.strong, data.train_unlabel.strong_x, base.weak_unlabel, data.test.strong_x, config
    )
    assert result.probs.shape == (len(data.test),)
    assert accuracy(result.probs, data.test.y) >= 0.8


def test_the_runner_fine_tunes_on_a_prepared_bundle(
    task: Task, pairs_file: Path, tmp_path: Path
) -> None:
    register_task(task, replace=True)
    prepared = prepare(task.id, tmp_path / "run", data=str(pairs_file), seeds=1, cache_dir=tmp_path)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"loss": "xent", "epochs": 4}))
    out = run(prepared.bundle_dir, cfg, tmp_path / "preds.json")
    labels = np.load(prepared.hidden_dir / "labels.npz")["test_y"]
    assert len(out["predictions"]) == len(labels)
    assert out["diagnostics"]["config"]["lr"] == SCHEDULE["lr"]


def test_a_bad_strong_training_is_named_with_what_is_allowed() -> None:
    with pytest.raises(TextTaskError, match=r"strong_training 'lora'.*probe, finetune"):
        TextTaskConfig(strong_training="lora")


def test_a_pair_scores_the_difference_and_a_bad_width_is_refused(tiny_model: Path) -> None:
    import torch

    from w2s.text.finetune import FineTuneSettings
    from w2s.text.strong import finetune_builder, token_rows, tokenize_pool

    settings = FineTuneSettings(str(tiny_model), max_length=MAX_LENGTH)
    ids = tokenize_pool(str(tiny_model), ["a kind reply", "a rude and useless reply"], MAX_LENGTH)
    rows = token_rows(ids, np.array([[0, 1], [1, 0]]))
    model = finetune_builder(settings)(rows.shape[1]).eval()
    with torch.no_grad():
        forward, backward = model(torch.from_numpy(rows)).tolist()
    assert forward == pytest.approx(-backward, abs=1e-5) and forward != 0
    with pytest.raises(TextTaskError, match="one or two texts of 24 token ids, got 72 columns"):
        finetune_builder(settings)(3 * MAX_LENGTH)

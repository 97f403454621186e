"""Full fine-tuning of a sequence classifier, on a tiny BERT made here from a config and
saved to a local folder (loaded by path, as a hub id would be), on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from w2s.text.errors import TextTaskError
from w2s.text.finetune import FineTuneSettings, SequenceScorer


def sentiment(n: int) -> tuple[list[tuple[str, ...]], np.ndarray]:
    words = {1: ["great", "lovely", "excellent"], 0: ["awful", "terrible", "bad"]}
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=n)
    texts = [(f"the film was {words[int(y)][i % 3]}",) for i, y in enumerate(labels)]
    return texts, labels.astype(np.float32)


def test_fine_tuning_learns_a_separable_task(tiny_model: Path) -> None:
    texts, labels = sentiment(64)
    scorer = SequenceScorer(
        FineTuneSettings(str(tiny_model), epochs=10, lr=1e-2, batch_size=16, max_length=16)
    )
    report = scorer.fit(texts, labels, seed=0)
    assert report.steps == 10 * 4
    assert report.device == "cpu" and report.dtype == "float32"
    assert np.mean(report.losses[-4:]) < np.mean(report.losses[:4]) / 2
    accuracy = ((scorer.predict_proba(texts) > 0.5) == labels).mean()
    assert accuracy > 0.9


def test_gradient_accumulation_takes_one_step_per_batch(tiny_model: Path) -> None:
    texts, labels = sentiment(32)
    settings = FineTuneSettings(str(tiny_model), epochs=1, batch_size=16, grad_accum=4)
    assert SequenceScorer(settings).fit(texts, labels).steps == 2


def test_a_pair_scores_as_the_difference_of_its_texts(tiny_model: Path) -> None:
    scorer = SequenceScorer(FineTuneSettings(str(tiny_model), max_length=16))
    pair = ("the film was great", "the film was awful")
    forward, backward = scorer.predict_proba([pair, pair[::-1]])
    assert forward == pytest.approx(1.0 - backward, abs=1e-5)


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(TextTaskError, match="must be at least 1 and divide batch_size"):
        FineTuneSettings("minilm", batch_size=16, grad_accum=3)


def test_a_missing_model_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(TextTaskError, match="could not load model"):
        SequenceScorer(FineTuneSettings(str(tmp_path / "absent-model")))

"""The generic adapter for datasets in the openai/weak-to-strong shape, on small files the
tests write in each dataset's own record layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.w2s.text.conftest import write_jsonl_gz
from w2s.tasks import get_task
from w2s.text.errors import TextTaskError
from w2s.text.formats import FORMATS, get_format, items_from_records
from w2s.text.source import load_records, parse_source

RECORDS = {
    "sciq": {
        "question": "What gas do plants take in?",
        "correct_answer": "carbon dioxide",
        "distractor1": "helium",
        "distractor2": "neon",
        "distractor3": "argon",
        "support": "",
    },
    "boolq": {"question": "is the sky blue", "passage": "The sky is blue.", "answer": True},
    "amazon_polarity": {"title": "Great", "content": "Works well.", "label": 1},
    "cosmos_qa": {
        "context": "She left early.",
        "question": "Why?",
        "answer0": "rain",
        "answer1": "a meeting",
        "answer2": "none",
        "answer3": "tired",
        "label": 1,
    },
}


def read_back(tmp_path: Path, name: str, rows: list[dict]) -> list:
    path = write_jsonl_gz(tmp_path / f"{name}.jsonl.gz", rows)
    records = load_records(parse_source(str(path)), cache_dir=tmp_path / "cache")
    return items_from_records(get_format(name), records, str(path))


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_each_dataset_reads_its_own_record_layout(tmp_path: Path, name: str) -> None:
    (item,) = read_back(tmp_path, name, [RECORDS[name]])
    positives, negatives = item.texts(1), item.texts(0)
    if name == "sciq":
        assert positives == ["Q: What gas do plants take in? A: carbon dioxide"]
        assert len(negatives) == 3 and all("A: " in t for t in negatives)
    elif name == "boolq":
        assert positives == ["Passage: The sky is blue.\n\nQuestion: is the sky blue"]
    elif name == "amazon_polarity":
        assert positives == ["Great Works well."]
    else:
        assert len(positives) == 1 and positives[0].endswith("Answer: a meeting")
        assert len(negatives) == 3
    assert FORMATS[name].pairwise == bool(positives and negatives)


def test_a_missing_field_names_the_row_and_the_fields_needed(tmp_path: Path) -> None:
    broken = {k: v for k, v in RECORDS["boolq"].items() if k != "passage"}
    with pytest.raises(TextTaskError, match=r"row 2: a boolq record needs .*missing passage"):
        read_back(tmp_path, "boolq", [RECORDS["boolq"], broken])


def test_an_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(TextTaskError, match="hh-rlhf, sciq, boolq"):
        get_format("squad")


def test_a_registered_adapter_task_builds_features_from_a_local_file(
    tmp_path: Path, minilm: None
) -> None:
    rng = np.random.default_rng(0)
    rows = [
        {
            "question": f"is {i} even",
            "passage": f"The number {i} is {'even' if i % 2 == 0 else 'odd'}.",
            "answer": bool(i % 2 == 0),
        }
        for i in rng.permutation(60)
    ]
    path = write_jsonl_gz(tmp_path / "boolq.jsonl.gz", rows)
    data = get_task("boolq").build(0, str(path))
    assert [len(data.train_label), len(data.train_unlabel), len(data.test)] == [21, 21, 18]
    assert data.test.strong_x.shape[1] == 384
    labels = np.concatenate([data.train_label.y, data.train_unlabel.y, data.test.y])
    assert labels.sum() == sum(r["answer"] for r in rows)

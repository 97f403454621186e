"""Turn a text task's config, a data seed and a data source into the core's `TaskData`.

The splits: from a hub dataset (or a local folder in its layout) the train split is
halved into `train_label` and `train_unlabel` and the test split is `test`; from one local
file all three are cut from it (`w2s.text.examples.FILE_PROPORTIONS`). The data seed
decides the cut and the draw of examples, never the features: every text of the source
is encoded once, cached, and each seed only picks rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from w2s.cache import Cache, default_cache_dir
from w2s.tasks.base import SPLITS, Split, TaskData
from w2s.text.config import TextTaskConfig
from w2s.text.encoders import TransformerEncoder
from w2s.text.examples import Item, TextExample, cut_file, halve_train, to_examples
from w2s.text.features import (
    cached_features,
    combine,
    standardise,
    texts_digest,
    tfidf_matrix,
)
from w2s.text.formats import get_format, items_from_records, view_items
from w2s.text.source import DataSource, load_records, parse_source

TRAIN_SPLITS = ("train_label", "train_unlabel")


def read_items(
    config: TextTaskConfig, source: DataSource, cache_dir: Path | None
) -> dict[str, list[Item]]:
    """The items of each part of the source: {"file": ...} or {"train": ..., "test": ...}."""
    fmt = get_format(config.dataset)
    if source.kind == "file":
        records = load_records(source, cache_dir=cache_dir)
        return {
            "file": view_items(items_from_records(fmt, records, source.describe()), config.view)
        }
    parts = {}
    for part, split, cap in (
        ("train", fmt.train_split, config.max_train),
        ("test", fmt.test_split, config.max_test),
    ):
        records = load_records(source, split, cache_dir=cache_dir)
        items = items_from_records(fmt, records, f"{source.describe()} [{split}]")
        if cap is not None and len(items) > cap:
            # A fixed subsample, the same for every data seed, so features stay cached.
            keep = np.sort(np.random.default_rng(0).permutation(len(items))[:cap])
            items = [items[i] for i in keep]
        parts[part] = view_items(items, config.view)
    return parts


def split_items(parts: dict[str, list[Item]], seed: int) -> dict[str, list[Item]]:
    if "file" in parts:
        return cut_file(parts["file"], seed)
    label, unlabel = halve_train(parts["train"], seed)
    return {"train_label": label, "train_unlabel": unlabel, "test": parts["test"]}


def text_pool(parts: dict[str, list[Item]]) -> list[str]:
    """Every distinct text of the source, in first-seen order (independent of the seed)."""
    seen: dict[str, None] = {}
    for items in parts.values():
        for item in items:
            for text, _ in item.options:
                seen.setdefault(text)
    return list(seen)


def encoded_pool(
    encoder_name: str,
    config: TextTaskConfig,
    part: str,
    texts: Sequence[str],
    cache: Cache,
) -> np.ndarray:
    """The encoder's features for `texts`, computed once per (model, task data, source part).

    The key names the data (dataset, view, the texts themselves), not the task id, so the
    tasks that differ only in mode or weak model share one encoding.
    """
    encoder = TransformerEncoder(encoder_name, max_length=config.max_length)
    key = {
        **encoder.identity,
        "dataset": config.dataset,
        "view": config.view,
        "split": part,
        "texts": texts_digest(texts),
    }
    return cached_features(cache, key, lambda: encoder.encode(texts))


def build_text_data(
    config: TextTaskConfig,
    seed: int,
    data: str | None,
    *,
    cache_dir: Path | None = None,
) -> TaskData:
    """The task's three splits for one data seed (see the module's docstring)."""
    cache_dir = cache_dir or default_cache_dir()
    source = parse_source(data or config.data or get_format(config.dataset).hub)
    parts = read_items(config, source, cache_dir)
    pool = text_pool(parts)
    row_of = {text: row for row, text in enumerate(pool)}
    examples: dict[str, list[TextExample]] = {
        name: to_examples(items, config.mode, seed=(seed, number))
        for number, (name, items) in enumerate(split_items(parts, seed).items())
    }
    index = {
        name: np.array([[row_of[t] for t in ex.texts] for ex in rows], dtype=np.int64)
        for name, rows in examples.items()
    }
    labels = {
        name: np.array([ex.label for ex in rows], dtype=np.int64) for name, rows in examples.items()
    }
    cache = Cache(cache_dir)

    def encoded(name: str) -> np.ndarray:
        parts_key = "+".join(sorted(parts))
        return encoded_pool(name, config, parts_key, pool, cache)

    def rows(matrix: np.ndarray) -> dict[str, np.ndarray]:
        return {name: combine(matrix, idx) for name, idx in index.items()}

    def embedding_rows(matrix: np.ndarray) -> dict[str, np.ndarray]:
        return standardise(rows(matrix), TRAIN_SPLITS, centre=config.mode == "binary")

    if config.strong_training == "finetune":
        from w2s.text.strong import token_rows, tokenize_pool

        ids = tokenize_pool(config.strong, pool, config.max_length)
        strong = {name: token_rows(ids, idx) for name, idx in index.items()}
    else:
        strong_pool = encoded(config.strong)
        strong = embedding_rows(strong_pool)
    if config.weak == "tfidf":
        # TF-IDF rows are already on one scale; their sparsity is what the weak model reads.
        fit_texts = [t for ex in examples["train_label"] for t in ex.texts]
        weak = rows(tfidf_matrix(fit_texts, pool, config.tfidf_features, config.tfidf_ngrams))
    else:
        same = config.weak == config.strong and config.strong_training == "probe"
        weak = embedding_rows(strong_pool if same else encoded(config.weak))
    return TaskData(**{name: Split(weak[name], strong[name], labels[name]) for name in SPLITS})

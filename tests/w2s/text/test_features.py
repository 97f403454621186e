"""How feature rows are made: the cache that computes a matrix once, pairwise differences
that flip sign with the order of a pair, and scaling that keeps that property."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from w2s.cache import Cache
from w2s.text.features import cached_features, combine, standardise, texts_digest, tfidf_matrix


def test_a_matrix_is_computed_once_per_key(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return np.arange(6, dtype=np.float32).reshape(3, 2)

    key = {"encoder": "minilm", "split": "test", "texts": texts_digest(["a", "b", "c"])}
    first = cached_features(cache, key, compute)
    again = cached_features(cache, dict(reversed(list(key.items()))), compute)
    other = cached_features(cache, {**key, "split": "train"}, compute)
    assert len(calls) == 2
    assert np.array_equal(first, again) and np.array_equal(first, other)


def test_the_texts_digest_sees_order_and_boundaries() -> None:
    assert texts_digest(["ab", "c"]) != texts_digest(["a", "bc"])
    assert texts_digest(["a", "b"]) != texts_digest(["b", "a"])


def test_a_pair_row_is_first_minus_second_and_flips_with_the_order() -> None:
    pool = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    rows = combine(pool, np.array([[0, 1], [1, 0], [2, 3]]))
    assert np.allclose(rows[0], pool[0] - pool[1])
    assert np.allclose(rows[1], -rows[0])
    single = combine(pool, np.array([[3], [2]]))
    assert np.array_equal(single, pool[[3, 2]])


def test_pairwise_scaling_keeps_swapped_pairs_opposite() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 4)).astype(np.float32) * [1, 10, 100, 0]
    scaled = standardise({"a": x, "b": -x}, ["a"], centre=False)
    assert np.allclose(scaled["a"], -scaled["b"])
    assert np.allclose(scaled["a"][:, :3].std(0), 1, atol=1e-4)
    assert np.isfinite(scaled["a"]).all()  # a constant column is left unscaled


def test_tfidf_vocabulary_comes_from_the_training_texts_only() -> None:
    rows = tfidf_matrix(["kind reply", "kind words", "rude reply"], ["kind", "novel text"], 16)
    assert rows.shape == (2, 2)  # words seen at least twice in training: kind, reply
    assert rows[0].any() and not rows[1].any()

"""Feature matrices for text examples: TF-IDF for the weak model, frozen-encoder embeddings
(computed once, then read from the cache) for either model, and how an example's texts
combine into one row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from w2s.cache import Cache, digest
from w2s.text.errors import TextTaskError

# Bump when the way features are made changes, so no cache serves the old ones.
FEATURES_VERSION = 1


def texts_digest(texts: Sequence[str]) -> str:
    """A digest of a list of texts that changes when any text or their order changes."""
    h = hashlib.sha256()
    for text in texts:
        data = text.encode()
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def cached_features(
    cache: Cache, parts: Mapping[str, Any], compute: Callable[[], np.ndarray]
) -> np.ndarray:
    """The matrix made by `compute`, kept in `cache` under the digest of `parts` (what
    decides it: model, task, split, texts), so it is computed once."""
    key = digest({**parts, "features_version": FEATURES_VERSION})
    hit = cache.get_arrays("features", key)
    if hit is not None and "x" in hit:
        return hit["x"]
    matrix = np.ascontiguousarray(compute(), dtype=np.float32)
    cache.put_arrays("features", key, {"x": matrix})
    return matrix


def tfidf_matrix(
    fit_texts: Sequence[str], texts: Sequence[str], max_features: int, ngrams: int = 1
) -> np.ndarray:
    """TF-IDF rows of `texts`, with the vocabulary and weights learnt from `fit_texts`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        max_features=max_features,
        ngram_range=(1, ngrams),
        sublinear_tf=True,
        min_df=2,
        dtype=np.float32,
    )
    try:
        vectorizer.fit(fit_texts)
    except ValueError as exc:  # an empty vocabulary: nothing to learn from
        raise TextTaskError(f"TF-IDF found no usable words in the training texts ({exc})") from exc
    return vectorizer.transform(texts).toarray()


def combine(pool: np.ndarray, index: np.ndarray) -> np.ndarray:
    """One row per example from the rows of its texts: the text's row (one text), or the
    first minus the second (two texts), so a linear model on it scores the difference."""
    if index.shape[1] == 1:
        return pool[index[:, 0]]
    return pool[index[:, 0]] - pool[index[:, 1]]


def standardise(
    splits: Mapping[str, np.ndarray], fit_on: Sequence[str], *, centre: bool
) -> dict[str, np.ndarray]:
    """Scale every split's columns by statistics of the `fit_on` splits (no labels used).

    Pairwise rows are differences whose sign is a coin flip; they are scaled, not centred,
    so swapping a pair's order still negates its row.
    """
    stacked = np.concatenate([splits[name] for name in fit_on])
    mean = stacked.mean(0) if centre else np.zeros(stacked.shape[1], dtype=np.float32)
    scale = stacked.std(0)
    scale[scale < 1e-6] = 1.0
    return {name: ((x - mean) / scale).astype(np.float32) for name, x in splits.items()}

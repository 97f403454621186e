"""Labelled text examples, and how a dataset's records become them.

A record becomes an `Item`: the texts it can yield, each with its label (a preference
pair yields its preferred side with label 1 and the other with label 0; a boolq question
yields one text with its answer). A seeded draw turns items into examples, in one of
two modes:

- `binary` (as in Burns et al. 2023): one text; the draw first picks a label with a fair
  coin, then a text of that label (so classes are balanced on average). An item whose
  texts all share one label yields that text.
- `pairwise`: two texts of different labels, in an order picked by a fair coin; the
  label is 1 when the first text is the one labelled 1 (for a preference pair: when the
  first is the preferred reply).

Which text was preferred survives only in the label, never in a field name or in the
order of texts; rows follow the seeded shuffle of the cut (or the source's own order),
which the labels do not decide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from w2s.text.errors import TextTaskError

MODES = ("binary", "pairwise")

# How one local file is cut into the three splits; the test split is then halved into
# public and private halves by the task core.
FILE_PROPORTIONS: Mapping[str, float] = {"train_label": 0.35, "train_unlabel": 0.35, "test": 0.30}

T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    """What one record can yield: texts with their 0/1 labels."""

    options: tuple[tuple[str, int], ...]

    def texts(self, label: int) -> list[str]:
        return [text for text, y in self.options if y == label]


@dataclass(frozen=True)
class TextExample:
    """One example: one text (binary mode) or two (pairwise mode), and its 0/1 label."""

    texts: tuple[str, ...]
    label: int


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise TextTaskError(f"mode {mode!r} is not known; allowed: {', '.join(MODES)}")
    return mode


def cut_file(items: Sequence[T], seed: int) -> dict[str, list[T]]:
    """Cut one file's items into train_label, train_unlabel and test by a seeded shuffle."""
    order = np.random.default_rng(seed).permutation(len(items))
    splits: dict[str, list[T]] = {}
    start = 0
    for index, (name, share) in enumerate(FILE_PROPORTIONS.items()):
        last = index == len(FILE_PROPORTIONS) - 1
        stop = len(items) if last else start + round(share * len(items))
        splits[name] = [items[i] for i in order[start:stop]]
        start = stop
    too_small = [name for name, rows in splits.items() if len(rows) < 4]
    if too_small:
        raise TextTaskError(
            f"{len(items)} records are too few to cut into {', '.join(FILE_PROPORTIONS)} "
            f"(split {too_small[0]} would hold under 4); give a larger file"
        )
    return splits


def halve_train(items: Sequence[T], seed: int) -> tuple[list[T], list[T]]:
    """Split a train split 50/50, by a seeded shuffle, into the weak model's half and the
    student's half."""
    order = np.random.default_rng(seed).permutation(len(items))
    middle = len(items) // 2
    return [items[i] for i in order[:middle]], [items[i] for i in order[middle:]]


def to_examples(items: Sequence[Item], mode: str, seed: int | Sequence[int]) -> list[TextExample]:
    """Draw one example per item (see the module's docstring for the two modes)."""
    check_mode(mode)
    rng = np.random.default_rng(seed)
    examples = []
    for number, item in enumerate(items, start=1):
        positives, negatives = item.texts(1), item.texts(0)
        coin = int(rng.integers(0, 2))
        if mode == "pairwise":
            if not positives or not negatives:
                raise TextTaskError(
                    f"item {number} has texts of one label only; pairwise mode needs a text "
                    "of each label per record (use mode 'binary' for this dataset)"
                )
            good = positives[int(rng.integers(len(positives)))]
            bad = negatives[int(rng.integers(len(negatives)))]
            examples.append(TextExample((good, bad) if coin else (bad, good), coin))
            continue
        pool = (positives if coin else negatives) or positives or negatives
        label = coin if (positives and negatives) else (1 if positives else 0)
        examples.append(TextExample((pool[int(rng.integers(len(pool)))],), label))
    return examples

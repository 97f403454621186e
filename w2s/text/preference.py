"""Chat-preference pairs (Anthropic's hh-rlhf shape) and the labelled examples made from them.

Two modes turn a pair into one example:

- `binary` (as in Burns et al. 2023): one side of the pair, picked by a seeded coin; the
  label is 1 when that side is the preferred one.
- `pairwise`: both sides, in an order picked by a seeded coin; the label is 1 when the
  first side is the preferred one.

Either way an example is a tuple of texts and a label: which side was the preferred one
survives only in the label, never in a field name or in the order of the texts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from w2s.text.errors import TextTaskError

MODES = ("binary", "pairwise")

# How one local file is cut into the three splits; the test split is then halved into
# public and private halves by the task core.
FILE_PROPORTIONS: Mapping[str, float] = {"train_label": 0.35, "train_unlabel": 0.35, "test": 0.30}


@dataclass(frozen=True)
class PreferencePair:
    """Two replies to the same conversation, the first preferred by the annotator."""

    chosen: str
    rejected: str


@dataclass(frozen=True)
class TextExample:
    """One row of a text task: one text (binary mode) or two (pairwise mode), and its label."""

    texts: tuple[str, ...]
    label: int


def pairs_from_records(records: Iterable[Mapping[str, Any]], where: str) -> list[PreferencePair]:
    """Check and convert raw rows; a row without two distinct texts is an error naming it."""
    pairs = []
    for number, row in enumerate(records, start=1):
        chosen, rejected = row.get("chosen"), row.get("rejected")
        if not isinstance(chosen, str) or not isinstance(rejected, str):
            raise TextTaskError(
                f"{where}, row {number}: a preference pair needs the text fields "
                f"'chosen' and 'rejected'; found fields {sorted(row)}"
            )
        pairs.append(PreferencePair(chosen, rejected))
    if not pairs:
        raise TextTaskError(f"{where}: no preference pairs found")
    return pairs


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise TextTaskError(f"mode {mode!r} is not known; allowed: {', '.join(MODES)}")
    return mode


def cut_file(pairs: Sequence[PreferencePair], seed: int) -> dict[str, list[PreferencePair]]:
    """Cut one file's pairs into train_label, train_unlabel and test by a seeded shuffle."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    splits: dict[str, list[PreferencePair]] = {}
    start = 0
    for index, (name, share) in enumerate(FILE_PROPORTIONS.items()):
        last = index == len(FILE_PROPORTIONS) - 1
        stop = len(pairs) if last else start + round(share * len(pairs))
        splits[name] = [pairs[i] for i in order[start:stop]]
        start = stop
    too_small = [name for name, rows in splits.items() if len(rows) < 2]
    if too_small:
        raise TextTaskError(
            f"{len(pairs)} pairs are too few to cut into {', '.join(FILE_PROPORTIONS)} "
            f"(split {too_small[0]} would hold under 2); give a larger file"
        )
    return splits


def halve_train(
    pairs: Sequence[PreferencePair], seed: int
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """Split a train split 50/50 into the weak model's half and the student's half."""
    order = np.random.default_rng(seed).permutation(len(pairs))
    middle = len(pairs) // 2
    return [pairs[i] for i in order[:middle]], [pairs[i] for i in order[middle:]]


def to_examples(pairs: Sequence[PreferencePair], mode: str, seed: int) -> list[TextExample]:
    """Turn pairs into labelled examples; the seeded coins make labels balanced on average."""
    check_mode(mode)
    coins = np.random.default_rng(seed).integers(0, 2, size=len(pairs))
    examples = []
    for pair, coin in zip(pairs, coins, strict=True):
        preferred_first = bool(coin)
        if mode == "binary":
            text = pair.chosen if preferred_first else pair.rejected
            examples.append(TextExample((text,), int(preferred_first)))
        else:
            first, second = (
                (pair.chosen, pair.rejected) if preferred_first else (pair.rejected, pair.chosen)
            )
            examples.append(TextExample((first, second), int(preferred_first)))
    return examples

"""How records become labelled examples and how a file is cut into splits."""

from __future__ import annotations

import pytest

from w2s.text.errors import TextTaskError
from w2s.text.examples import FILE_PROPORTIONS, Item, cut_file, halve_train, to_examples


def pairs(n: int) -> list[Item]:
    return [Item(((f"good {i}", 1), (f"bad {i}", 0))) for i in range(n)]


def test_binary_example_is_one_side_labelled_1_when_preferred() -> None:
    examples = to_examples(pairs(400), "binary", seed=3)
    for i, example in enumerate(examples):
        (text,) = example.texts
        assert text == (f"good {i}" if example.label == 1 else f"bad {i}")
    share = sum(e.label for e in examples) / len(examples)
    assert 0.4 < share < 0.6


def test_pairwise_example_holds_both_sides_in_random_order() -> None:
    examples = to_examples(pairs(400), "pairwise", seed=3)
    for i, example in enumerate(examples):
        assert sorted(example.texts) == sorted([f"good {i}", f"bad {i}"])
        assert example.label == int(example.texts[0] == f"good {i}")
    firsts_preferred = sum(e.label for e in examples) / len(examples)
    assert 0.4 < firsts_preferred < 0.6


def test_the_draw_depends_on_the_seed_only() -> None:
    assert to_examples(pairs(50), "binary", seed=1) == to_examples(pairs(50), "binary", seed=1)
    assert to_examples(pairs(50), "binary", seed=1) != to_examples(pairs(50), "binary", seed=2)


def test_single_label_items_keep_their_label_and_refuse_pairwise() -> None:
    items = [Item((("yes text", 1),)), Item((("no text", 0),))]
    assert [e.label for e in to_examples(items, "binary", seed=0)] == [1, 0]
    with pytest.raises(TextTaskError, match="pairwise mode needs a text of each label"):
        to_examples(items, "pairwise", seed=0)


def test_unknown_mode_names_the_allowed_ones() -> None:
    with pytest.raises(TextTaskError, match="binary, pairwise"):
        to_examples(pairs(4), "triplet", seed=0)


def test_a_file_is_cut_into_disjoint_splits_in_the_documented_proportions() -> None:
    items = pairs(1000)
    splits = cut_file(items, seed=7)
    assert list(splits) == list(FILE_PROPORTIONS)
    for name, share in FILE_PROPORTIONS.items():
        assert len(splits[name]) == round(share * 1000)
    seen = [item for rows in splits.values() for item in rows]
    assert sorted(i.options for i in seen) == sorted(i.options for i in items)
    assert cut_file(items, seed=8)["test"] != splits["test"]


def test_too_small_a_file_is_refused() -> None:
    with pytest.raises(TextTaskError, match="too few"):
        cut_file(pairs(6), seed=0)


def test_train_split_is_halved_without_overlap() -> None:
    label, unlabel = halve_train(pairs(101), seed=0)
    assert (len(label), len(unlabel)) == (50, 51)
    assert not {i.options for i in label} & {i.options for i in unlabel}

"""The datasets a text task can read, and how each one's records become `Item`s.

`hh-rlhf` is Anthropic's chat-preference pairs. The other four follow the formatting of
the openai/weak-to-strong release (Burns et al. 2023), so a result here can be set beside
theirs: one text per example, label 1 when the answer in it is right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from w2s.text.errors import TextTaskError
from w2s.text.examples import Item

Record = Mapping[str, Any]


@dataclass(frozen=True)
class DatasetFormat:
    """One dataset: where it lives on the hub, which fields a record needs, how to read one."""

    name: str
    hub: str
    fields: tuple[str, ...]
    to_item: Callable[[Record], Item]
    train_split: str = "train"
    test_split: str = "test"
    # Whether every record has a text of each label, as pairwise mode needs.
    pairwise: bool = False
    # The parts of a text a task may keep (see VIEWS); the first is the default.
    views: tuple[str, ...] = ("conversation",)


def _last_exchange(text: str) -> str:
    start = text.rfind("\n\nHuman:")
    return text[start:].strip() if start >= 0 else text.strip()


def _reply(text: str) -> str:
    marker = "\n\nAssistant:"
    start = text.rfind(marker)
    return text[start + len(marker) :].strip() if start >= 0 else text.strip()


# What of a chat transcript the models read: all of it, the last human turn and the reply
# to it, or the reply alone (the two sides of a pair share everything before the reply).
VIEWS: dict[str, Callable[[str], str]] = {
    "conversation": str.strip,
    "last_exchange": _last_exchange,
    "reply": _reply,
}


def _preference(row: Record) -> Item:
    return Item(((row["chosen"], 1), (row["rejected"], 0)))


def _sciq(row: Record) -> Item:
    def text(answer: str) -> str:
        return f"Q: {row['question']} A: {answer}"

    wrong = [row[f"distractor{i}"] for i in (1, 2, 3)]
    return Item(((text(row["correct_answer"]), 1), *((text(a), 0) for a in wrong)))


def _boolq(row: Record) -> Item:
    return Item(
        ((f"Passage: {row['passage']}\n\nQuestion: {row['question']}", int(row["answer"])),)
    )


def _amazon_polarity(row: Record) -> Item:
    return Item(((f"{row['title']} {row['content']}", int(row["label"])),))


def _cosmos_qa(row: Record) -> Item:
    right = int(row["label"])

    def text(answer: str) -> str:
        return f"Content: {row['context']}\n\nQuestion: {row['question']}\n\nAnswer: {answer}"

    return Item(tuple((text(row[f"answer{i}"]), int(i == right)) for i in range(4)))


FORMATS: dict[str, DatasetFormat] = {
    f.name: f
    for f in (
        DatasetFormat(
            "hh-rlhf",
            "Anthropic/hh-rlhf:harmless-base",
            ("chosen", "rejected"),
            _preference,
            pairwise=True,
            views=tuple(VIEWS),
        ),
        DatasetFormat(
            "sciq",
            "allenai/sciq",
            ("question", "correct_answer", "distractor1", "distractor2", "distractor3"),
            _sciq,
            pairwise=True,
        ),
        DatasetFormat(
            "boolq",
            "google/boolq",
            ("question", "passage", "answer"),
            _boolq,
            test_split="validation",
        ),
        DatasetFormat(
            "amazon_polarity",
            "fancyzhx/amazon_polarity",
            ("title", "content", "label"),
            _amazon_polarity,
        ),
        DatasetFormat(
            "cosmos_qa",
            "allenai/cosmos_qa",
            ("context", "question", "answer0", "answer1", "answer2", "answer3", "label"),
            _cosmos_qa,
            test_split="validation",
            pairwise=True,
        ),
    )
}


def get_format(name: str) -> DatasetFormat:
    fmt = FORMATS.get(name)
    if fmt is None:
        raise TextTaskError(f"dataset {name!r} is not known; allowed: {', '.join(FORMATS)}")
    return fmt


def items_from_records(fmt: DatasetFormat, records: Iterable[Record], where: str) -> list[Item]:
    """Read every record; one that lacks a field, or whose texts are not text, is an error
    naming its row and the fields the dataset needs."""
    items = []
    for number, row in enumerate(records, start=1):
        missing = [name for name in fmt.fields if row.get(name) is None]
        if missing:
            raise TextTaskError(
                f"{where}, row {number}: a {fmt.name} record needs the fields "
                f"{', '.join(fmt.fields)}; missing {', '.join(missing)}"
            )
        try:
            item = fmt.to_item(row)
        except (TypeError, ValueError) as exc:
            raise TextTaskError(
                f"{where}, row {number}: unreadable {fmt.name} record ({exc})"
            ) from exc
        if not all(isinstance(text, str) and text for text, _ in item.options):
            raise TextTaskError(
                f"{where}, row {number}: every text of a {fmt.name} record must be a "
                "non-empty string"
            )
        items.append(item)
    if not items:
        raise TextTaskError(f"{where}: no records found")
    return items


def view_items(items: list[Item], view: str) -> list[Item]:
    """The items with each text cut down to the part `view` keeps."""
    if view == "conversation":
        return items
    cut = VIEWS[view]
    return [Item(tuple((cut(text), label) for text, label in item.options)) for item in items]

"""The settings of a text task, checked when the task is defined so a bad one fails early
with a message naming the field, its value and what is allowed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from w2s.text.errors import TextTaskError
from w2s.text.examples import MODES
from w2s.text.formats import FORMATS, VIEWS

WEAK_KINDS = ("tfidf",)  # besides any encoder name: see `weak`
STRONG_TRAINING = ("probe", "finetune")


@dataclass(frozen=True)
class TextTaskConfig:
    """What decides a text task's data and features.

    - `dataset`: a name in `w2s.text.formats.FORMATS` (hh-rlhf, sciq, boolq, ...).
    - `data`: the default source when no `--data` is given (a hub id, `ID:DATA_DIR`, or a
      local file); None means the dataset's own hub id.
    - `mode`: `binary` or `pairwise` (see `w2s.text.examples`).
    - `view`: what of each text the models read: `conversation` (all of it), or for chat
      transcripts `last_exchange` (the last human turn and the reply) or `reply` (the
      reply alone; the sides of a preference pair differ only there).
    - `weak`: `tfidf` (TF-IDF + logistic regression) or an encoder whose frozen features
      feed a logistic regression: `minilm-2l`, `minilm`, a hub id or a local folder.
    - `strong`: the strong model: the encoder whose frozen, mean-pooled features the strong
      probe reads, or (with `strong_training: finetune`) the sequence classifier fine-tuned.
    - `strong_training`: `probe` (a linear probe on frozen features) or `finetune` (the whole
      transformer trained by every loss and method; its rows are token ids, see
      `w2s.text.strong`; slow without a GPU).
    - `max_length`: tokens kept per text (the end of a long text is kept).
    - `tfidf_features`, `tfidf_ngrams`: vocabulary size of the TF-IDF weak model, and the
      longest word n-grams in it (1: single words).
    - `max_train`, `max_test`: caps on the rows read from a hub dataset's train and test
      splits (a fixed subsample, the same for every seed); None reads them whole.
    """

    dataset: str = "hh-rlhf"
    data: str | None = None
    mode: str = "binary"
    view: str = "conversation"
    weak: str = "tfidf"
    strong: str = "minilm"
    strong_training: str = "probe"
    max_length: int = 256
    tfidf_features: int = 256
    tfidf_ngrams: int = 1
    max_train: int | None = None
    max_test: int | None = None

    def __post_init__(self) -> None:
        if self.dataset not in FORMATS:
            raise TextTaskError(
                f"dataset {self.dataset!r} is not known; allowed: {', '.join(FORMATS)}"
            )
        if self.mode not in MODES:
            raise TextTaskError(f"mode {self.mode!r} is not known; allowed: {', '.join(MODES)}")
        if self.mode == "pairwise" and not FORMATS[self.dataset].pairwise:
            raise TextTaskError(
                f"mode 'pairwise' needs a text of each label per record, which {self.dataset} "
                "does not have; use mode 'binary'"
            )
        views = FORMATS[self.dataset].views
        if self.view not in VIEWS:
            raise TextTaskError(f"view {self.view!r} is not known; allowed: {', '.join(VIEWS)}")
        if self.view not in views:
            raise TextTaskError(
                f"view {self.view!r} is only for hh-rlhf transcripts; {self.dataset} allows "
                f"{', '.join(views)}"
            )
        for name in ("weak", "strong"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise TextTaskError(f"{name} must name a model, e.g. 'minilm'")
        if self.strong_training not in STRONG_TRAINING:
            raise TextTaskError(
                f"strong_training {self.strong_training!r} is not known; allowed: "
                f"{', '.join(STRONG_TRAINING)}"
            )
        if self.strong in WEAK_KINDS:
            raise TextTaskError("strong must be an encoder (e.g. 'minilm'), not 'tfidf'")
        for name, low in (("max_length", 8), ("tfidf_features", 16), ("tfidf_ngrams", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or value < low:
                raise TextTaskError(
                    f"{name} must be a whole number of at least {low}, got {value!r}"
                )
        for name in ("max_train", "max_test"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 8):
                raise TextTaskError(
                    f"{name} must be empty or a whole number of at least 8, got {value!r}"
                )

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> TextTaskConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(obj) - known)
        if unknown:
            raise TextTaskError(
                f"unknown text task setting {unknown[0]!r}; allowed: {', '.join(sorted(known))}"
            )
        return cls(**obj)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.strong_training == "probe":
            # The default is left out so the digests of the tasks made before it stay as
            # they were, and their cached baselines keep serving.
            del out["strong_training"]
        return out

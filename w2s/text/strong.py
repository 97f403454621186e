"""A fine-tuned transformer as the strong model of a text task, trained by the shared core.

The core trains torch modules on numeric rows, so a task whose strong model is fine-tuned
stores each example's token ids as its strong features: `texts_per_example * max_length`
columns, the ids of each text right-padded with -1 (`token_rows`). `FineTunedModel` turns
such rows back into padded batches and scores them with a sequence classifier: one text
gives its score, a pair the difference of the two scores (the Bradley-Terry form of a
reward model). Every loss and method of the core then fine-tunes the whole transformer.

Token ids are stored as float32, exact for ids below 2**24 (every tokenizer in use).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from w2s.text.encoders import pick_device
from w2s.text.errors import TextTaskError
from w2s.text.finetune import FineTuneSettings, autocast_dtype, load_classifier

if TYPE_CHECKING:
    from torch import nn

    from w2s.methods.adapters import LoraSettings

PAD = -1
# Rows scored at once when no gradient is needed (predictions, early-stopping checks).
INFERENCE_ROWS = 64


def tokenize_pool(model: str, texts: Sequence[str], max_length: int) -> np.ndarray:
    """Token ids of each text, its beginning cut when too long, right-padded with PAD."""
    from transformers import AutoTokenizer

    from w2s.text.encoders import quiet_transformers, resolve_model

    quiet_transformers()
    where, _, local_only = resolve_model(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local_only)
    except OSError as exc:
        raise TextTaskError(
            f"could not load the tokenizer of {model!r} from {where}: {exc}".splitlines()[0]
        ) from exc
    tokenizer.truncation_side = "left"
    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    out = np.full((len(texts), max_length), PAD, dtype=np.int64)
    for row, tokens in enumerate(ids):
        out[row, : len(tokens)] = tokens
    if out.max(initial=0) >= 2**24:
        raise TextTaskError(f"token ids of {model!r} are too large to store exactly as float32")
    return out


def token_rows(pool: np.ndarray, index: np.ndarray) -> np.ndarray:
    """One row per example: its texts' token ids side by side, as float32."""
    return pool[index].reshape(len(index), -1).astype(np.float32)


@functools.cache
def _module_class() -> Any:
    """The module class, defined on first use so that importing this module needs no torch."""
    import torch

    class FineTunedModel(torch.nn.Module):
        """Scores rows of token ids (see the module's docstring) with a sequence classifier."""

        def __init__(self, settings: FineTuneSettings, texts_per_example: int) -> None:
            super().__init__()
            self.settings = settings
            self.texts = texts_per_example
            # The core seeds torch before building, so the head's weights follow its seed.
            model, tokenizer = load_classifier(settings, seed=None)
            self.pad_id = int(tokenizer.pad_token_id)
            self.device_name = pick_device(settings.device)
            self.autocast = autocast_dtype(self.device_name, settings.bf16)
            self.classifier = model.to(self.device_name)

        def _score(self, rows: torch.Tensor) -> torch.Tensor:
            ids = rows.round().long().reshape(len(rows) * self.texts, -1)
            mask = ids != PAD
            # Drop the columns that are padding in every text of the batch.
            width = max(1, int(mask.sum(1).max()))
            ids, mask = ids[:, :width], mask[:, :width]
            ids = ids.masked_fill(~mask, self.pad_id)
            mixed = (
                torch.autocast("cuda", dtype=self.autocast)
                if self.autocast is not None
                else contextlib.nullcontext()
            )
            with mixed:
                logits = self.classifier(input_ids=ids, attention_mask=mask.long()).logits
            scores = logits.float().reshape(len(rows), self.texts)
            return scores[:, 0] if self.texts == 1 else scores[:, 0] - scores[:, 1]

        def add_lora(self, lora: LoraSettings) -> None:
            """Freeze the transformer and give it LoRA adapters; the head stays trainable.

            Under bf16 the frozen weights are held in bf16 (half the memory of a 4B model);
            what trains (adapters, head) stays fp32 for the optimiser."""
            from peft import LoraConfig, get_peft_model

            if self.autocast == torch.bfloat16:
                self.classifier.to(torch.bfloat16)
            config = LoraConfig(
                task_type="SEQ_CLS",
                r=lora.r,
                # peft scales by alpha / r, so a fractional alpha works though the field says int.
                lora_alpha=lora.alpha,  # type: ignore[arg-type]
                lora_dropout=lora.dropout,
                target_modules=lora.modules(),
            )
            try:
                self.classifier = get_peft_model(self.classifier, config)
            except ValueError as exc:
                raise TextTaskError(f"LoRA cannot be added: {exc}".splitlines()[0]) from None
            for param in self.classifier.parameters():
                if param.requires_grad:
                    param.data = param.data.float()

        def forward(self, rows: torch.Tensor) -> torch.Tensor:
            if torch.is_grad_enabled() or len(rows) <= INFERENCE_ROWS:
                return self._score(rows)
            return torch.cat(
                [
                    self._score(rows[s : s + INFERENCE_ROWS])
                    for s in range(0, len(rows), INFERENCE_ROWS)
                ]
            )

    return FineTunedModel


def finetune_builder(settings: FineTuneSettings) -> Callable[[int], nn.Module]:
    """A core model builder: `build(in_features)` loads the classifier afresh, its texts per
    example read from the width of the rows."""

    def build(in_features: int) -> nn.Module:
        texts, extra = divmod(in_features, settings.max_length)
        if extra or texts not in (1, 2):
            raise TextTaskError(
                f"fine-tuning rows must hold one or two texts of {settings.max_length} token "
                f"ids, got {in_features} columns"
            )
        return _module_class()(settings, texts)

    return build


def add_lora(model: nn.Module, lora: LoraSettings) -> nn.Module:
    """A core adapter hook: `model` (a `FineTunedModel`) with LoRA adapters, in place."""
    # FineTunedModel's class is made when torch is first needed, so it has no name to check
    # against here; nn.Module's __getattr__ types the method as a tensor or module.
    model.add_lora(lora)  # type: ignore[operator]
    return model

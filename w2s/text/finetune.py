"""Full fine-tuning of a Hugging Face sequence classifier on soft labels.

The model (a hub id, a local folder, or `minilm`) gets a one-logit head: a text's score
s(x) gives P(y=1) = sigmoid(s(x)); a pair (a, b) gives sigmoid(s(a) - s(b)), a reward
model's Bradley-Terry form. Targets are probabilities, so the same loop trains the
ceiling (hard ground truth) and the student (the weak model's soft labels).

On CUDA the forward and backward passes run under bf16 autocast (the weights and the
optimiser state stay fp32); a batch is split into `grad_accum` micro-batches so a large
model fits its memory.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from w2s.text.encoders import pick_device, quiet_transformers, resolve_model
from w2s.text.errors import TextTaskError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class FineTuneSettings:
    """How to fine-tune: `batch_size` examples per optimiser step, in `grad_accum` pieces."""

    model: str
    epochs: int = 2
    lr: float = 5e-5
    batch_size: int = 32
    grad_accum: int = 1
    max_length: int = 256
    warmup_frac: float = 0.1
    weight_decay: float = 0.0
    device: str | None = None
    bf16: bool = True  # used only on CUDA

    def __post_init__(self) -> None:
        if self.grad_accum < 1 or self.batch_size % self.grad_accum:
            raise TextTaskError(
                f"grad_accum {self.grad_accum} must be at least 1 and divide batch_size "
                f"{self.batch_size}"
            )
        if self.epochs < 1 or self.lr <= 0:
            raise TextTaskError("epochs must be at least 1 and lr above 0")


@dataclass
class FineTuneReport:
    steps: int = 0
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    device: str = "cpu"
    dtype: str = "float32"


def load_classifier(settings: FineTuneSettings, *, seed: int | None = 0) -> tuple[Any, Any]:
    """(model, tokenizer): the sequence classifier with a fresh one-logit head (its initial
    weights drawn from `seed`; None: from torch's current random state), on the CPU, with a
    pad token and left truncation set."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    quiet_transformers()
    where, layers, local_only = resolve_model(settings.model)
    if seed is not None:
        torch.manual_seed(seed)  # the new head's initial weights
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local_only)
        model = AutoModelForSequenceClassification.from_pretrained(
            # A checkpoint with another head (or none) gets a fresh one-logit head.
            where,
            num_labels=1,
            local_files_only=local_only,
            ignore_mismatched_sizes=True,
        )
    except OSError as exc:
        raise TextTaskError(
            f"could not load model {settings.model!r} from {where}: {exc}".splitlines()[0]
        ) from exc
    if layers is not None:
        model.base_model.encoder.layer = model.base_model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    tokenizer.truncation_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def autocast_dtype(device: str, bf16: bool) -> torch.dtype | None:
    """bf16 on a CUDA device that supports it (when asked), else None: full precision."""
    import torch

    if device.startswith("cuda") and bf16 and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


class SequenceScorer:
    """A sequence classifier with one output: the score of a text."""

    def __init__(self, settings: FineTuneSettings, *, seed: int = 0) -> None:
        self.settings = settings
        self.device = pick_device(settings.device)
        model, self.tokenizer = load_classifier(settings, seed=seed)
        self.model = model.to(self.device)
        self.autocast_dtype = autocast_dtype(self.device, settings.bf16)

    def _scores(self, texts: Sequence[str]) -> torch.Tensor:
        import torch

        batch = self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.settings.max_length,
            padding=True,
            return_tensors="pt",
        ).to(self.device)
        mixed = (
            torch.autocast("cuda", dtype=self.autocast_dtype)
            if self.autocast_dtype is not None
            else contextlib.nullcontext()
        )
        with mixed:
            return self.model(**batch).logits.float().reshape(-1)

    def _logits(self, examples: Sequence[tuple[str, ...]]) -> torch.Tensor:
        width = len(examples[0])
        flat = [text for example in examples for text in example]
        scores = self._scores(flat).reshape(len(examples), width)
        return scores[:, 0] if width == 1 else scores[:, 0] - scores[:, 1]

    def fit(
        self, examples: Sequence[tuple[str, ...]], target: np.ndarray, *, seed: int = 0
    ) -> FineTuneReport:
        """Train on examples (one or two texts each) towards `target`, P(y=1) per example."""
        import torch
        from transformers import get_cosine_schedule_with_warmup

        check_examples(examples, target)
        s = self.settings
        started = time.perf_counter()
        per_step = min(s.batch_size, len(examples))
        micro = max(1, per_step // s.grad_accum)
        steps = s.epochs * math.ceil(len(examples) / per_step)
        optimiser = torch.optim.AdamW(self.model.parameters(), lr=s.lr, weight_decay=s.weight_decay)
        schedule = get_cosine_schedule_with_warmup(optimiser, int(s.warmup_frac * steps), steps)
        targets = torch.as_tensor(np.asarray(target, dtype=np.float32), device=self.device)
        generator = np.random.default_rng(seed)
        report = FineTuneReport(device=self.device, dtype=str(self.autocast_dtype or "float32"))
        self.model.train()
        for _ in range(s.epochs):
            order = generator.permutation(len(examples))
            for start in range(0, len(order), per_step):
                rows = order[start : start + per_step]
                optimiser.zero_grad(set_to_none=True)
                total = 0.0
                for piece in range(0, len(rows), micro):
                    part = rows[piece : piece + micro]
                    logits = self._logits([examples[i] for i in part])
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(
                        logits, targets[torch.as_tensor(part, device=self.device)], reduction="sum"
                    ) / len(rows)
                    loss.backward()
                    total += float(loss.detach())
                optimiser.step()
                schedule.step()
                report.steps += 1
                report.losses.append(total)
        self.model.eval()
        report.seconds = time.perf_counter() - started
        return report

    def predict_proba(
        self, examples: Sequence[tuple[str, ...]], batch_size: int = 64
    ) -> np.ndarray:
        """P(y=1) per example."""
        import torch

        check_examples(examples)
        self.model.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(examples), batch_size):
                logits = self._logits(examples[start : start + batch_size])
                out.append(torch.sigmoid(logits).cpu().numpy())
        return np.concatenate(out).astype(np.float64)


def check_examples(examples: Sequence[tuple[str, ...]], target: np.ndarray | None = None) -> None:
    if not examples:
        raise TextTaskError("no examples to fine-tune on or predict")
    widths = {len(example) for example in examples}
    if len(widths) != 1 or widths.pop() not in (1, 2):
        raise TextTaskError("every example must hold one text (binary) or two (pairwise)")
    if target is not None and len(target) != len(examples):
        raise TextTaskError(f"{len(target)} targets for {len(examples)} examples")

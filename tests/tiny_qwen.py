"""Tiny models of the published architectures, made here, in a Hugging Face cache layout.

`Qwen/Qwen1.5-0.5B-Chat` becomes a Qwen2 model and `Qwen/Qwen3-4B-Base` a Qwen3 model, each
of two layers and hidden size 32, with random weights and one small BPE tokenizer trained
here on the texts it will read. They are saved as the hub client saves a download
(`models--ORG--NAME/blobs`, `snapshots/<revision>` of symlinks into the blobs, `refs/main`),
so every path that reads the real models from the cache reads these instead. No network.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

WEAK_ID = "Qwen/Qwen1.5-0.5B-Chat"
STRONG_ID = "Qwen/Qwen3-4B-Base"
VOCAB = 1024
EOS = "<|endoftext|>"


def _tokenizer(texts: Iterable[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=EOS)


def _config(kind: str, tokenizer):
    from transformers import Qwen2Config, Qwen3Config

    shape = {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "tie_word_embeddings": True,
    }
    if kind == "qwen3":
        return Qwen3Config(head_dim=8, **shape)
    return Qwen2Config(**shape)


def _into_cache(folder: Path, cache: Path, model_id: str) -> Path:
    """Move a saved model into the cache's layout; returns the snapshot folder."""
    repo = cache / ("models--" + model_id.replace("/", "--"))
    files = sorted(p for p in folder.iterdir() if p.is_file())
    revision = hashlib.sha1(
        b"".join(hashlib.sha256(p.read_bytes()).digest() for p in files)
    ).hexdigest()
    snapshot = repo / "snapshots" / revision
    if snapshot.is_dir():
        return snapshot
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True)
    for path in files:
        blob = hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.move(path, repo / "blobs" / blob)
        # As the hub client leaves a download: readable by all (safetensors writes 0600).
        (repo / "blobs" / blob).chmod(0o644)
        (snapshot / path.name).symlink_to(Path("..", "..", "blobs", blob))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    return snapshot


def make_tiny_models(cache: Path, texts: Iterable[str], seed: int = 0) -> dict[str, Path]:
    """Tiny weak (Qwen2) and strong (Qwen3) models in the cache at `cache`: {hub id: snapshot}."""
    import torch
    from transformers import AutoModelForCausalLM

    tokenizer = _tokenizer(texts)
    out = {}
    for model_id, kind in ((WEAK_ID, "qwen2"), (STRONG_ID, "qwen3")):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(_config(kind, tokenizer))
        with tempfile.TemporaryDirectory() as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            out[model_id] = _into_cache(Path(tmp), cache, model_id)
    return out


def hh_texts(path: Path, limit: int) -> list[str]:
    """The conversations of the first `limit` pairs of an hh-rlhf file (to train a tokenizer)."""
    import gzip

    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number == limit:
                break
            row = json.loads(line)
            texts += [row["chosen"], row["rejected"]]
    return texts


def hh_slice(source: Path, pairs: int, out: Path) -> Path:
    """The first `pairs` pairs of an hh-rlhf file as a file of their own."""
    import gzip

    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(source, "rt", encoding="utf-8") as lines, gzip.open(out, "wt") as sink:
        for number, line in enumerate(lines):
            if number == pairs:
                break
            sink.write(line)
    return out

"""On a CUDA device: bf16 LoRA fine-tuning of a tiny Qwen3 model, the trainer's micro-batches
on the GPU, and the engine's view of GPU memory. Skipped without a GPU, except where
AAR_REQUIRE_CUDA=1 (bench/gpu_check.sh) says one must be there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_qwen import STRONG_ID, make_tiny_models

TEXTS = ["a kind and helpful reply", "a rude and useless reply"] * 20


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


pytestmark = pytest.mark.skipif(
    not _cuda() and os.environ.get("AAR_REQUIRE_CUDA") != "1", reason="no CUDA device"
)


@pytest.fixture(scope="module")
def qwen_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    assert _cuda(), "AAR_REQUIRE_CUDA=1 but torch sees no CUDA device"
    cache = tmp_path_factory.mktemp("hub")
    make_tiny_models(cache, TEXTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(cache))
        yield cache


def test_lora_fine_tunes_in_bf16_on_the_gpu(qwen_cache: Path) -> None:
    import torch

    from w2s.methods.adapters import LoraSettings
    from w2s.text.finetune import FineTuneSettings
    from w2s.text.strong import add_lora, finetune_builder, token_rows, tokenize_pool
    from w2s.train import Schedule, fit, predict_proba

    settings = FineTuneSettings(STRONG_ID, max_length=32)
    model = add_lora(finetune_builder(settings)(32), LoraSettings(r=8))
    assert model.autocast == torch.bfloat16
    frozen = [p for p in model.parameters() if not p.requires_grad]
    trained = [p for p in model.parameters() if p.requires_grad]
    assert all(p.dtype == torch.bfloat16 and p.is_cuda for p in frozen)
    assert all(p.dtype == torch.float32 for p in trained)
    ids = tokenize_pool(STRONG_ID, TEXTS, 32)
    x = token_rows(ids, np.arange(len(TEXTS))[:, None])
    y = np.array([i % 2 == 0 for i in range(len(TEXTS))], dtype=np.float32)
    result = fit(model, x, y, schedule=Schedule(20, 1e-2, 8, grad_accum=2), seed=0)
    assert np.isfinite(result.losses).all() and result.losses[-1] < result.losses[0]
    assert ((predict_proba(model, x) > 0.5) == y).mean() >= 0.9


def test_micro_batches_on_the_gpu_match_the_whole_batch() -> None:
    import torch

    from w2s.train import Schedule, fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    weights = []
    for accum in (1, 4):
        torch.manual_seed(0)
        model = torch.nn.Linear(5, 1).cuda()
        fit(model, x, y, schedule=Schedule(2, 1e-2, 32, grad_accum=accum), seed=0)
        weights.append(model.weight.detach().cpu())
    assert torch.allclose(weights[0], weights[1], atol=1e-5)


def test_the_engine_sees_the_gpus_free_memory() -> None:
    from engine.models import gpu_free_mb

    free = gpu_free_mb()
    assert free and all(mb > 0 for mb in free.values())

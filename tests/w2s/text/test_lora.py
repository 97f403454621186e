"""LoRA adapters on a fine-tuned strong model, gradient accumulation and warm-up in the core's
trainer, and the published recipe as a preset: on tiny Qwen2/Qwen3 models made here in a
Hugging Face cache layout, read by their hub ids, on the CPU."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.tiny_qwen import STRONG_ID, WEAK_ID, hh_texts, make_tiny_models
from tests.w2s.text.test_finetune_task import pairs_file  # noqa: F401  (a fixture)
from w2s.baselines import seed_baseline
from w2s.errors import ConfigError
from w2s.methods.config import parse_method_config
from w2s.methods.transfer import transfer
from w2s.prepare import prepare
from w2s.runner import run
from w2s.tasks import Task, get_task, register_task
from w2s.text.config import TextTaskConfig
from w2s.text.tasks import AAR_CHAT, text_task
from w2s.train import Schedule, fit

MAX_LENGTH = 24
# A schedule the tiny, randomly initialised model learns from in a few passes.
QUICK = {**AAR_CHAT, "epochs": 3, "lr": 3e-3, "batch_size": 16, "grad_accum": 2, "lora_r": 4}


@pytest.fixture(scope="module")
def qwen_cache(tmp_path_factory: pytest.TempPathFactory, hh_file: Path) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("hub")
    make_tiny_models(cache, hh_texts(hh_file, 100))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(cache))
        yield cache


@pytest.fixture(scope="module")
def task(qwen_cache: Path) -> Task:
    """The registered LoRA task's config and recipe, shortened, with the tiny Qwen models."""
    published = get_task("hh-rlhf-qwen-finetune")
    config = replace(
        TextTaskConfig.from_dict(published.config["text"]),
        data=None,
        max_length=MAX_LENGTH,
    )
    made = text_task("hh-rlhf-tiny-lora-v1", "tiny Qwen LoRA", config, probe=QUICK, weak_c=100.0)
    register_task(made, replace=True)
    return made


def test_the_published_task_trains_lora_by_the_published_recipe() -> None:
    qwen = get_task("hh-rlhf-qwen-finetune")
    assert qwen.models == (WEAK_ID, STRONG_ID)
    assert qwen.strong.lora is not None and qwen.strong.lora.r == 32
    assert (qwen.strong.batch_size, qwen.strong.epochs, qwen.strong.lr) == (32, 5, 1e-4)
    assert qwen.strong.warmup == 0.1 and qwen.method_defaults["adapter"] == "lora"
    preset = parse_method_config({"preset": "aar-chat"})
    assert (preset.lora_r, preset.batch_size, preset.epochs, preset.seed) == (32, 32, 5, 42)
    assert preset.lr == 1e-4 and preset.lr_warmup == 0.1
    # A field given beside the preset wins over it.
    assert parse_method_config({"preset": "aar-chat", "lora_r": 8}).lora_r == 8


def test_lora_trains_the_adapters_and_head_and_leaves_the_transformer_frozen(
    task: Task,
    pairs_file: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    import torch

    data = task.build(0, str(pairs_file), cache_dir=tmp_path)
    config = parse_method_config({"epochs": 1}, defaults=task.method_defaults)
    model = task.strong.adapt(
        task.strong.build(data.train_unlabel.strong_x.shape[1]), config.lora()
    )
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    fit(
        model,
        data.train_unlabel.strong_x,
        data.train_unlabel.y.astype(np.float32),
        schedule=Schedule(1, 1e-2, 16, grad_accum=2),
        seed=0,
    )
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert changed == trainable
    assert any("lora_" in n for n in changed) and any("score" in n for n in changed)
    assert not any("embed_tokens" in n or "layers.0.mlp.up_proj.base_layer" in n for n in changed)
    total = sum(p.numel() for p in model.parameters())
    assert sum(p.numel() for n, p in model.named_parameters() if n in trainable) < total / 4


@pytest.mark.parametrize(
    "method",
    [
        {"loss": "xent"},
        {"loss": "logconf"},
        {"loss": "product"},
        {"method": "confident", "confident_fraction": 0.6},
        {"method": "self_training", "epochs": 1},
        {"early_stopping": True, "ensemble": 2, "epochs": 1},
    ],
    ids=["xent", "logconf", "product", "confident", "self_training", "early_stop+ensemble"],
)
def test_every_loss_and_method_trains_a_lora_student(
    task: Task,
    pairs_file: Path,  # noqa: F811
    tmp_path: Path,
    method: dict,
) -> None:
    data = task.build(0, str(pairs_file), cache_dir=tmp_path)
    weak = np.clip(data.train_unlabel.y * 0.8 + 0.1, 0, 1)
    config = parse_method_config(method, defaults=task.method_defaults, adapters=("lora",))
    assert config.adapter == "lora"
    result = transfer(task.strong, data.train_unlabel.strong_x, weak, data.test.strong_x, config)
    assert result.probs.shape == (len(data.test),)
    assert np.isfinite(result.probs).all() and result.diagnostics["optimiser_steps"] > 0


def test_the_ceiling_and_the_runner_train_lora(
    task: Task,
    pairs_file: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    data = task.build(0, str(pairs_file), cache_dir=tmp_path)
    base = seed_baseline(task, data, "tiny-lora", 0)
    assert ((base.ceiling_test > 0.5) == data.test.y).mean() >= 0.8
    prepared = prepare(task.id, tmp_path / "run", data=str(pairs_file), seeds=1, cache_dir=tmp_path)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"preset": "aar-chat", "epochs": 1, "lr": 3e-3, "lora_r": 4}))
    out = run(prepared.bundle_dir, cfg, tmp_path / "preds.json")
    used = out["diagnostics"]["config"]
    assert (used["adapter"], used["lora_r"], used["grad_accum"], used["seed"]) == ("lora", 4, 4, 42)
    assert len(out["predictions"]) == len(data.test)


def test_lora_on_a_probe_task_is_refused_in_one_line(tmp_path: Path) -> None:
    probe = get_task("hh-rlhf")
    for config in ({"adapter": "lora"}, {"preset": "aar-chat"}):
        with pytest.raises(ConfigError, match="takes no adapter") as caught:
            parse_method_config(
                config, defaults=probe.method_defaults, adapters=probe.strong.adapters
            )
        assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match="'lora_r' applies only to adapter 'lora'"):
        parse_method_config({"lora_r": 8})


def test_micro_batches_add_up_to_the_batch_and_the_lr_warms_up() -> None:
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    weights = []
    for accum in (1, 4):
        torch.manual_seed(0)
        model = torch.nn.Linear(5, 1)
        fit(model, x, y, schedule=Schedule(2, 1e-2, 32, grad_accum=accum), seed=0)
        weights.append(model.weight.detach().clone())
    assert torch.allclose(weights[0], weights[1], atol=1e-6)
    warm = Schedule(lr=1.0, warmup=0.5)
    assert [round(warm.lr_at(s, 8), 3) for s in (0, 3, 4)] == [0.25, 1.0, 1.0]
    assert warm.lr_at(7, 8) < 0.2 and Schedule(lr=1.0).lr_at(0, 8) == 1.0


def test_the_claude_prompt_and_the_offline_space_know_the_lora_fields() -> None:
    from engine.brains.claude.prompt import method_fields
    from engine.brains.offline.space import DIMS, Constraints, apply_constraints

    listed = method_fields()
    for name in ("adapter", "lora_r", "lora_alpha", "lora_dropout", "target_modules", "preset"):
        assert f"`{name}`" in listed
    assert "aar-chat" in listed and "grad_accum" in listed
    assert DIMS["lora_r"].applies({"adapter": "lora"}) and not DIMS["lora_r"].applies({})
    # A LoRA field left in a config without LoRA is dropped, as w2s would refuse it.
    assert "lora_r" not in apply_constraints({"lora_r": 8}, Constraints())

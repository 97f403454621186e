"""The text tasks this package registers, and `text_task` to define more.

CPU tasks (run anywhere, no hub access needed with `--data FILE`): weak = TF-IDF +
logistic regression (or MiniLM cut to two layers), strong = a linear probe on frozen,
mean-pooled all-MiniLM-L6-v2 features. The GPU tasks use the models of the AAR release,
read from the hub: weak Qwen1.5-0.5B-Chat, strong Qwen3-4B-Base, as a probe on its frozen
features (`hh-rlhf-qwen`) or fine-tuned by every loss and method (`hh-rlhf-qwen-finetune`:
LoRA adapters by the published recipe, bf16 on CUDA; training every weight instead,
`"adapter": "none"`, needs about 64 GB for fp32 weights and Adam state, an H200-class GPU).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict

from w2s.hub import is_hub_id
from w2s.methods.adapters import PRESETS, LoraSettings
from w2s.models import linear_probe
from w2s.tasks.base import StrongSpec, Task, TaskData
from w2s.tasks.registry import register_task
from w2s.text.config import TextTaskConfig
from w2s.text.features import FEATURES_VERSION
from w2s.text.finetune import FineTuneSettings
from w2s.text.supervisors import LogisticSupervisor

# The probe's training schedule: a few hundred Adam steps on some hundreds of rows.
PROBE = {"epochs": 20, "lr": 1e-3, "batch_size": 64, "weight_decay": 1e-2}
# Fine-tuning a whole transformer: few passes, a small learning rate.
FINETUNE = {"epochs": 2, "lr": 1e-5, "batch_size": 32, "weight_decay": 0.0}
# The published chat recipe (the `aar-chat` preset, seed aside): LoRA adapters on the
# strong model, for the ceiling and as the student's defaults.
AAR_CHAT = {
    "weight_decay": 0.0,
    **{k: v for k, v in PRESETS["aar-chat"].items() if k != "seed"},
}
WEAK_C = 1.0


def text_task(
    task_id: str,
    description: str,
    config: TextTaskConfig,
    *,
    probe: Mapping[str, Any] | None = None,
    weak_c: float = WEAK_C,
) -> Task:
    """A core `Task` for a text config (not registered: pass it to `register_task`).

    `probe` is the strong model's schedule in method-config fields (epochs, lr, batch_size,
    weight_decay; for a fine-tuned model also grad_accum, lr_warmup and the LoRA fields),
    for the ceiling and as the student's defaults; None: `PROBE`, or `FINETUNE` when the
    config fine-tunes the strong model.
    """
    finetune = config.strong_training == "finetune"
    schedule = dict(probe if probe is not None else FINETUNE if finetune else PROBE)
    models = tuple(dict.fromkeys(m for m in (config.weak, config.strong) if is_hub_id(m)))

    def build(seed: int, data: str | None, *, cache_dir: Path | None = None) -> TaskData:
        from w2s.text.build import build_text_data

        return build_text_data(config, seed, data, cache_dir=cache_dir)

    return Task(
        id=task_id,
        description=description,
        build=build,
        weak=lambda: LogisticSupervisor(c=weak_c),
        strong=_strong_spec(config, schedule),
        # The student trains like the ceiling unless a method config says otherwise.
        method_defaults=schedule,
        models=models,
        config={
            "text": config.to_dict(),
            "probe": schedule,
            "weak_c": weak_c,
            "features_version": FEATURES_VERSION,
        },
    )


def _strong_spec(config: TextTaskConfig, schedule: Mapping[str, Any]) -> StrongSpec:
    """The strong model and the ceiling's training, from a schedule in method-config fields."""
    lora = None
    if schedule.get("adapter", "none") == "lora":
        lora = LoraSettings(
            r=schedule["lora_r"],
            alpha=schedule["lora_alpha"],
            dropout=schedule["lora_dropout"],
            target_modules=schedule["target_modules"],
        )
    return StrongSpec(
        build=_strong_builder(config),
        epochs=schedule["epochs"],
        lr=schedule["lr"],
        batch_size=schedule["batch_size"],
        weight_decay=schedule["weight_decay"],
        grad_accum=schedule.get("grad_accum", 1),
        warmup=schedule.get("lr_warmup", 0.0),
        adapt=_add_lora if config.strong_training == "finetune" else None,
        lora=lora,
    )


def _add_lora(model: Any, lora: LoraSettings) -> Any:
    from w2s.text.strong import add_lora

    return add_lora(model, lora)


def _strong_builder(config: TextTaskConfig) -> Any:
    if config.strong_training == "probe":
        return linear_probe()
    settings = FineTuneSettings(model=config.strong, max_length=config.max_length)

    def build(in_features: int) -> Any:
        from w2s.text.strong import finetune_builder

        return finetune_builder(settings)(in_features)

    return build


class _HubCap(TypedDict):
    max_train: int
    max_test: int


class _HhCpu(_HubCap):
    dataset: str
    view: str


# CPU defaults read at most this many train pairs from the hub: encoding is the slow part.
CPU_HUB_CAP: _HubCap = {"max_train": 8000, "max_test": 2000}

HH = "Anthropic's harmless-base chat-preference pairs"
# On a CPU the models read the final reply only: it is all that tells a pair's sides apart,
# and MiniLM's few hundred tokens would otherwise go to the shared conversation.
HH_CPU: _HhCpu = {"dataset": "hh-rlhf", "view": "reply", **CPU_HUB_CAP}

QWEN_CONFIG = TextTaskConfig(
    dataset="hh-rlhf",
    data="Anthropic/hh-rlhf:harmless-base",
    mode="binary",
    view="conversation",
    weak="Qwen/Qwen1.5-0.5B-Chat",
    strong="Qwen/Qwen3-4B-Base",
    max_length=512,
)

TASKS = [
    text_task(
        "hh-rlhf-v1",
        f"{HH}, pairwise: both replies in random order, label 1 when the first is the "
        "preferred one; weak: 256-word TF-IDF, strong: MiniLM probe on the reply.",
        TextTaskConfig(mode="pairwise", **HH_CPU),
    ),
    text_task(
        "hh-rlhf-binary-v1",
        f"{HH}, binary: one reply, label 1 when it is the preferred one; weak: 256-word "
        "TF-IDF, strong: MiniLM probe on the reply.",
        TextTaskConfig(mode="binary", **HH_CPU),
    ),
    text_task(
        "hh-rlhf-minilm2l-v1",
        f"{HH}, pairwise; weak: MiniLM cut to 2 layers, strong: all 6 layers, both probes.",
        TextTaskConfig(mode="pairwise", weak="minilm-2l", **HH_CPU),
    ),
    text_task(
        "hh-rlhf-qwen-v1",
        f"{HH} from the hub, binary, whole conversations; weak: Qwen1.5-0.5B-Chat, strong: "
        "Qwen3-4B-Base probe (the GPU setting).",
        QWEN_CONFIG,
    ),
    text_task(
        "hh-rlhf-qwen-finetune-v2",
        f"{HH} from the hub, binary, whole conversations; weak: Qwen1.5-0.5B-Chat, strong: "
        "Qwen3-4B-Base fine-tuned with LoRA by the published recipe (the GPU setting of the "
        'AAR release; "adapter": "none" trains every weight).',
        replace(QWEN_CONFIG, strong_training="finetune"),
        probe=AAR_CHAT,
    ),
    *(
        text_task(
            f"{name}-v1",
            f"{name} in the openai/weak-to-strong format; weak: 256-word TF-IDF, strong: "
            "MiniLM probe.",
            TextTaskConfig(dataset=name, **CPU_HUB_CAP),
        )
        for name in ("sciq", "boolq", "amazon_polarity", "cosmos_qa")
    ),
]

for _task in TASKS:
    register_task(_task)

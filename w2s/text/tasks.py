"""The text tasks this package registers, and `text_task` to define more.

CPU tasks (run anywhere, no hub access needed with `--data FILE`): weak = TF-IDF +
logistic regression (or MiniLM cut to two layers), strong = a linear probe on frozen,
mean-pooled all-MiniLM-L6-v2 features. The GPU task `hh-rlhf-qwen` uses the models of
the AAR release, read from the hub: weak Qwen1.5-0.5B-Chat, strong Qwen3-4B-Base.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from w2s.models import linear_probe
from w2s.tasks.base import StrongSpec, Task, TaskData
from w2s.tasks.registry import register_task
from w2s.text.config import TextTaskConfig
from w2s.text.features import FEATURES_VERSION
from w2s.text.supervisors import LogisticSupervisor

# The probe's training schedule: a few hundred Adam steps on some hundreds of rows.
PROBE = {"epochs": 20, "lr": 1e-3, "batch_size": 64, "weight_decay": 1e-2}
WEAK_C = 1.0


def text_task(
    task_id: str,
    description: str,
    config: TextTaskConfig,
    *,
    probe: Mapping[str, Any] = PROBE,
    weak_c: float = WEAK_C,
) -> Task:
    """A core `Task` for a text config (not registered: pass it to `register_task`)."""

    def build(seed: int, data: str | None, *, cache_dir: Path | None = None) -> TaskData:
        from w2s.text.build import build_text_data

        return build_text_data(config, seed, data, cache_dir=cache_dir)

    return Task(
        id=task_id,
        description=description,
        build=build,
        weak=lambda: LogisticSupervisor(c=weak_c),
        strong=StrongSpec(build=linear_probe(), **probe),
        # The student trains like the ceiling unless a method config says otherwise.
        method_defaults=dict(probe),
        config={
            "text": config.to_dict(),
            "probe": dict(probe),
            "weak_c": weak_c,
            "features_version": FEATURES_VERSION,
        },
    )


# CPU defaults read at most this many train pairs from the hub: encoding is the slow part.
CPU_HUB_CAP = {"max_train": 8000, "max_test": 2000}

HH = "Anthropic's harmless-base chat-preference pairs"
# On a CPU the models read the final reply only: it is all that tells a pair's sides apart,
# and MiniLM's few hundred tokens would otherwise go to the shared conversation.
HH_CPU = {"dataset": "hh-rlhf", "view": "reply", **CPU_HUB_CAP}

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

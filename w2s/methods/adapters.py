"""The method config's fields for training large models: LoRA adapters, gradient accumulation,
a learning-rate warm-up, and named presets such as the published chat recipe.

A strong model that is a whole transformer (a fine-tuned task) can train low-rank adapters
instead of every weight (`adapter: lora`, through `peft`); a linear probe cannot, and a
config that asks it to is refused when it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from w2s.methods.field import Field

ADAPTERS = ("none", "lora")
# A module name as peft matches it: a dotted suffix of the module's path.
_MODULE = r"[A-Za-z_][A-Za-z0-9_.]*"

TRAINING_FIELDS: tuple[Field, ...] = (
    Field(
        "grad_accum",
        int,
        1,
        "Split each batch into this many micro-batches whose gradients add up to one step: "
        "the same update with less memory (a loss that looks at the whole batch, such as "
        "logconf's threshold, sees one micro-batch at a time).",
        low=1,
        high=1024,
    ),
    Field(
        "lr_warmup",
        float,
        0.0,
        "The share of steps over which the learning rate rises linearly from zero, before "
        "its cosine decay.",
        low=0,
        high=1,
        high_open=True,
    ),
)

ADAPTER_FIELDS: tuple[Field, ...] = (
    Field(
        "adapter",
        str,
        "none",
        "none: train every weight of the strong model; lora: freeze it and train low-rank "
        "adapters (and the head) instead. Only for a strong model that is a transformer "
        "(a fine-tuned task), not a linear probe.",
        choices=ADAPTERS,
    ),
    Field(
        "lora_r", int, 16, "LoRA: the rank of each adapter.", low=1, high=1024, adapters=("lora",)
    ),
    Field(
        "lora_alpha",
        float,
        32.0,
        "LoRA: the scale of the adapters' update (it is multiplied by lora_alpha / lora_r).",
        low=0,
        high=4096,
        low_open=True,
        adapters=("lora",),
    ),
    Field(
        "lora_dropout",
        float,
        0.05,
        "LoRA: dropout on the adapters' input.",
        low=0,
        high=1,
        high_open=True,
        adapters=("lora",),
    ),
    Field(
        "target_modules",
        str,
        "all-linear",
        "LoRA: the modules given adapters: all-linear (every linear layer but the head), or "
        "module names such as q_proj,v_proj (a JSON list of names is taken too).",
        pattern=rf"^(all-linear|{_MODULE}(,{_MODULE})*)$",
        pattern_doc='"all-linear" or comma-separated module names, e.g. "q_proj,v_proj"',
        adapters=("lora",),
    ),
    Field(
        "preset",
        str,
        "none",
        "A named recipe whose values fill every field the config leaves out. aar-chat: the "
        "published chat-preference recipe (LoRA r=32, batch 32, 5 epochs, lr 1e-4, "
        "warm-up 0.1, seed 42; bf16 on CUDA).",
        choices=("none", "aar-chat"),
    ),
)

# The published recipe of the automated W2S researcher on chat preference: LoRA r=32, batch
# 32, 5 epochs, lr 1e-4, warm-up 0.1, bf16 (on CUDA, always), seeds 42-46. Its alpha and
# dropout are not published; these are common choices. Four micro-batches of 8 keep a 4B
# model's activations at 512 tokens within one GPU.
PRESETS: dict[str, dict[str, object]] = {
    "aar-chat": {
        "adapter": "lora",
        "lora_r": 32,
        "lora_alpha": 64.0,
        "lora_dropout": 0.05,
        "target_modules": "all-linear",
        "batch_size": 32,
        "grad_accum": 4,
        "epochs": 5,
        "lr": 1e-4,
        "lr_warmup": 0.1,
        "seed": 42,
    }
}
PRESET_SEEDS = {"aar-chat": (42, 43, 44, 45, 46)}


@dataclass(frozen=True)
class LoraSettings:
    """What `peft` needs to add LoRA adapters to a transformer."""

    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    target_modules: str = "all-linear"

    def modules(self) -> str | list[str]:
        """peft's `target_modules`: the keyword, or the list of names."""
        if self.target_modules == "all-linear":
            return "all-linear"
        return self.target_modules.split(",")


def normalise_modules(value: object) -> object:
    """A JSON list of module names as the one string the field holds (sorted, so that the
    same set of names gives the same digest); anything else is left for the check."""
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return ",".join(sorted(set(value)))
    if isinstance(value, str) and value != "all-linear" and "," in value:
        return ",".join(sorted(set(value.split(","))))
    return value

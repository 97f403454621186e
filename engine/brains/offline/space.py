"""The offline researcher's view of the method space: which fields to search, over what
ranges, and the constraints a direction or a redirect puts on them.

Ranges are search ranges (where good configs plausibly lie), inside what `w2s` allows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from engine.texts import TELLING_FIELDS


@dataclass(frozen=True)
class Dim:
    name: str
    kind: str  # "log", "float", "int", "choice", "bool"
    low: float = 0.0
    high: float = 1.0
    choices: tuple[Any, ...] = ()
    methods: tuple[str, ...] | None = None
    losses: tuple[str, ...] | None = None
    nullable_pair: str | None = None
    adapters: tuple[str, ...] | None = None

    def applies(self, config: dict[str, Any]) -> bool:
        if self.methods is not None and config.get("method", "vanilla") not in self.methods:
            return False
        if self.adapters is not None and config.get("adapter", "none") not in self.adapters:
            return False
        return not (self.losses is not None and config.get("loss", "xent") not in self.losses)


DIMS: dict[str, Dim] = {
    d.name: d
    for d in (
        Dim("method", "choice", choices=("vanilla", "confident", "self_training")),
        Dim("loss", "choice", choices=("xent", "logconf", "product")),
        Dim("labels", "choice", choices=("soft", "hard")),
        Dim("lr", "log", 1e-4, 3e-2),
        Dim("epochs", "int", 1, 8),
        Dim("batch_size", "choice", choices=(64, 128, 256, 512)),
        Dim("weight_decay", "choice", choices=(0.0, 1e-4, 1e-3, 1e-2, 0.05)),
        Dim("label_smoothing", "float", 0.0, 0.3),
        Dim("early_stopping", "bool"),
        Dim("ensemble", "int", 1, 5),
        Dim("confident_fraction", "float", 0.2, 0.95, methods=("confident",)),
        Dim("rounds", "int", 2, 4, methods=("self_training",)),
        Dim("self_weight", "float", 0.3, 1.0, methods=("self_training",)),
        Dim("aux_coef", "float", 0.1, 1.0, losses=("logconf",)),
        Dim("warmup_frac", "float", 0.0, 0.5, losses=("logconf",)),
        Dim("alpha", "float", 0.25, 3.0, losses=("product",)),
        Dim("beta", "float", 0.25, 3.0, losses=("product",)),
        # Searched only in a config that asks for LoRA (a fine-tuned task's strong model).
        Dim("lora_r", "choice", choices=(8, 16, 32, 64), adapters=("lora",)),
        Dim("lora_alpha", "choice", choices=(16.0, 32.0, 64.0), adapters=("lora",)),
        Dim("lora_dropout", "float", 0.0, 0.1, adapters=("lora",)),
    )
}

# The fields a family searches first; the rest are searched less often.
FOCUS = {
    "logconf": ("aux_coef", "warmup_frac", "lr", "epochs"),
    "product": ("alpha", "beta", "lr", "epochs"),
    "confident": ("confident_fraction", "lr", "epochs"),
    "self_training": ("rounds", "self_weight", "lr", "epochs"),
    "regularise": ("weight_decay", "label_smoothing", "lr", "epochs"),
    "early": ("labels", "early_stopping", "epochs", "lr"),
    "ensemble": ("ensemble", "lr", "epochs"),
    "tuning": ("lr", "epochs", "batch_size", "weight_decay"),
}


@dataclass
class Constraints:
    """What a direction or the supervisor pinned: fixed values and narrowed ranges."""

    fixed: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    focus: tuple[str, ...] = ()

    def merge(self, other: Constraints) -> Constraints:
        return Constraints(
            fixed={**self.fixed, **other.fixed},
            ranges={**self.ranges, **other.ranges},
            focus=other.focus or self.focus,
        )

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.fixed.items()]
        parts += [f"{k} in [{_fmt(lo)}, {_fmt(hi)}]" for k, (lo, hi) in self.ranges.items()]
        return ", ".join(parts) or "no constraints"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _bounds(dim: Dim, c: Constraints) -> tuple[float, float]:
    lo, hi = c.ranges.get(dim.name, (dim.low, dim.high))
    return max(lo, dim.low if dim.kind != "log" else 1e-6), hi


def sample_value(dim: Dim, rng: random.Random, c: Constraints) -> Any:
    lo, hi = _bounds(dim, c)
    if dim.kind == "log":
        return float(f"{math.exp(rng.uniform(math.log(lo), math.log(hi))):.3g}")
    if dim.kind == "float":
        return round(rng.uniform(lo, hi), 3)
    if dim.kind == "int":
        return rng.randint(math.ceil(lo), math.floor(hi))
    if dim.kind == "bool":
        return rng.random() < 0.5
    options = [v for v in dim.choices if not isinstance(v, int | float) or lo <= v <= hi]
    return rng.choice(options or list(dim.choices))


def _middle(dim: Dim, lo: float, hi: float) -> float:
    return float(f"{math.sqrt(lo * hi):.3g}") if dim.kind == "log" and lo > 0 else (lo + hi) / 2


def apply_constraints(config: dict[str, Any], c: Constraints) -> dict[str, Any]:
    out = {**config, **c.fixed}
    for name, (lo, hi) in c.ranges.items():
        dim = DIMS[name]
        if name not in out:
            # Left out, the field would take w2s's default, which may lie outside the range.
            if not dim.applies(out):
                continue
            out[name] = _middle(dim, lo, hi)
        if isinstance(out[name], int | float) and not isinstance(out[name], bool):
            value = min(hi, max(lo, out[name]))
            out[name] = round(value) if dim.kind == "int" else value
    # Fields that do not apply to the method or loss are dropped (w2s refuses them).
    return {k: v for k, v in out.items() if k not in DIMS or DIMS[k].applies(out)}


def random_config(base: dict[str, Any], rng: random.Random, c: Constraints) -> dict[str, Any]:
    """A random point of the space around `base` (the family), for exploration and baselines."""
    config = dict(base)
    for dim in DIMS.values():
        if dim.name in c.fixed or dim.name in base or not dim.applies(config):
            continue
        if rng.random() < 0.5:
            config[dim.name] = sample_value(dim, rng, c)
    return apply_constraints(config, c)


def changed_fields(parent: dict[str, Any], child: dict[str, Any]) -> list[str]:
    """The searched fields whose values differ, defaults filled in on both sides."""
    from w2s.errors import ConfigError
    from w2s.methods.config import parse_method_config

    try:
        a, b = parse_method_config(parent).to_dict(), parse_method_config(child).to_dict()
    except ConfigError:
        a, b = parent, child
    return [k for k in TELLING_FIELDS if a.get(k) != b.get(k)]

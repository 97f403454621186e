"""The method config: the JSON object that names one point of the method space agents search.

Every field is declared once in FIELDS with its type, default, allowed values and a line of
documentation; parsing, defaults, the digest and the help text (`describe_fields`) all come
from that one table, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from w2s.errors import ConfigError
from w2s.losses import LOSSES
from w2s.methods.adapters import (
    ADAPTER_FIELDS,
    PRESETS,
    TRAINING_FIELDS,
    LoraSettings,
    normalise_modules,
)
from w2s.methods.field import Field, FieldValue

METHODS = ("vanilla", "confident", "self_training")


FIELDS: tuple[Field, ...] = (
    Field(
        "method",
        str,
        "vanilla",
        "The transfer strategy: train on all weak labels, on the "
        "confident ones only, or in self-training rounds.",
        choices=METHODS,
    ),
    Field(
        "loss",
        str,
        "xent",
        "xent: cross-entropy on the targets; logconf: mixes in the "
        "student's own hardened predictions; product: targets proportional to "
        "preds^beta * labels^alpha.",
        choices=LOSSES,
    ),
    Field(
        "labels",
        str,
        "soft",
        "Train on the weak supervisor's probabilities (soft) or on its 0/1 decisions (hard).",
        choices=("soft", "hard"),
    ),
    Field("epochs", int, 2, "Passes over the training rows.", low=1, high=200),
    Field(
        "lr",
        float,
        3e-3,
        "Adam learning rate (cosine-decayed to zero).",
        low=0,
        high=1,
        low_open=True,
    ),
    Field("batch_size", int, 256, "Rows per optimiser step.", low=1, high=1_000_000),
    Field("weight_decay", float, 0.0, "Adam weight decay.", low=0, high=1),
    Field(
        "label_smoothing",
        float,
        0.0,
        "Mix every target with 0.5: target*(1-s) + s/2.",
        low=0,
        high=0.5,
        high_open=True,
    ),
    Field(
        "confidence_threshold",
        float,
        None,
        "Keep only rows whose weak label is at least this confident (max(p, 1-p)).",
        low=0.5,
        high=1,
        high_open=True,
        nullable=True,
        methods=("confident",),
    ),
    Field(
        "confident_fraction",
        float,
        None,
        "Keep only this fraction of rows, the most confident "
        "weak labels first (0.5 when neither this nor the threshold is set).",
        low=0,
        high=1,
        low_open=True,
        nullable=True,
        methods=("confident",),
    ),
    Field(
        "rounds",
        int,
        2,
        "Self-training rounds: each round after the first trains a fresh "
        "student on the previous student's predictions.",
        low=2,
        high=10,
        methods=("self_training",),
    ),
    Field(
        "self_weight",
        float,
        1.0,
        "In self-training, the share of the previous student's "
        "predictions in the next targets (the rest is the weak labels).",
        low=0,
        high=1,
        methods=("self_training",),
    ),
    *TRAINING_FIELDS,
    Field(
        "early_stopping",
        bool,
        False,
        "Hold back a weak-labelled slice and keep the checkpoint that agrees with it best.",
    ),
    Field(
        "val_fraction",
        float,
        0.2,
        "The share of rows held back for early stopping.",
        low=0,
        high=0.5,
        low_open=True,
    ),
    Field(
        "ensemble",
        int,
        1,
        "Train this many students with consecutive seeds and average their probabilities.",
        low=1,
        high=20,
    ),
    Field("seed", int, 0, "The first training seed.", low=0, high=2**31 - 1),
    Field(
        "data_seed",
        int,
        None,
        "Draws the data side of a run: the batch order, the rows data_fraction keeps and the "
        "early-stopping slice (null: the training seed draws them too). Set, seed varies "
        "the initialisation alone.",
        low=0,
        high=2**31 - 1,
        nullable=True,
    ),
    Field(
        "data_fraction",
        float,
        1.0,
        "Train on this share of the train_unlabel rows (drawn by data_seed): a cheap first "
        "screen of a method before it earns the full data.",
        low=0,
        high=1,
        low_open=True,
    ),
    Field(
        "aux_coef",
        float,
        0.5,
        "logconf: the final weight of the student's own hardened predictions.",
        low=0,
        high=1,
        losses=("logconf",),
    ),
    Field(
        "warmup_frac",
        float,
        0.1,
        "logconf: the share of training over which the weight grows to aux_coef.",
        low=0,
        high=1,
        losses=("logconf",),
    ),
    Field(
        "alpha",
        float,
        1.0,
        "product: the exponent of the weak labels.",
        low=0,
        high=10,
        losses=("product",),
    ),
    Field(
        "beta",
        float,
        1.0,
        "product: the exponent of the student's predictions.",
        low=0,
        high=10,
        losses=("product",),
    ),
    *ADAPTER_FIELDS,
)

FIELD_BY_NAME = {f.name: f for f in FIELDS}
# Fields added after digests were first recorded: left out of a digest at their default, so
# the configs recorded before them keep their digests.
_LATER_FIELDS = {
    f.name: f.default
    for f in (
        *TRAINING_FIELDS,
        *ADAPTER_FIELDS,
        FIELD_BY_NAME["data_seed"],
        FIELD_BY_NAME["data_fraction"],
    )
}


@dataclass(frozen=True)
class MethodConfig:
    """A parsed, complete method config: every field present, every value checked."""

    values: Mapping[str, Any]

    # Every field of FIELDS, read from `values` with its type.
    method = FieldValue[str]()
    loss = FieldValue[str]()
    labels = FieldValue[str]()
    epochs = FieldValue[int]()
    lr = FieldValue[float]()
    batch_size = FieldValue[int]()
    weight_decay = FieldValue[float]()
    label_smoothing = FieldValue[float]()
    confidence_threshold = FieldValue[float | None]()
    confident_fraction = FieldValue[float | None]()
    rounds = FieldValue[int]()
    self_weight = FieldValue[float]()
    grad_accum = FieldValue[int]()
    lr_warmup = FieldValue[float]()
    early_stopping = FieldValue[bool]()
    val_fraction = FieldValue[float]()
    ensemble = FieldValue[int]()
    seed = FieldValue[int]()
    data_seed = FieldValue[int | None]()
    data_fraction = FieldValue[float]()
    aux_coef = FieldValue[float]()
    warmup_frac = FieldValue[float]()
    alpha = FieldValue[float]()
    beta = FieldValue[float]()
    adapter = FieldValue[str]()
    lora_r = FieldValue[int]()
    lora_alpha = FieldValue[float]()
    lora_dropout = FieldValue[float]()
    target_modules = FieldValue[str]()
    preset = FieldValue[str]()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: self.values[f.name] for f in FIELDS}

    def digest(self) -> str:
        """Equal for equal configs, whatever the key order and whichever defaults were spelled."""
        kept = {
            k: v
            for k, v in self.to_dict().items()
            if k not in _LATER_FIELDS or v != _LATER_FIELDS[k]
        }
        blob = json.dumps(kept, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def loss_options(self) -> dict[str, float]:
        if self.loss == "logconf":
            return {"aux_coef": self.aux_coef, "warmup_frac": self.warmup_frac}
        if self.loss == "product":
            return {"alpha": self.alpha, "beta": self.beta}
        return {}

    def lora(self) -> LoraSettings | None:
        """The LoRA adapters this config asks for, or None (every weight trains)."""
        if self.adapter != "lora":
            return None
        return LoraSettings(self.lora_r, self.lora_alpha, self.lora_dropout, self.target_modules)

    def replace(self, **changes: Any) -> MethodConfig:
        return parse_method_config({**self.to_dict(), **changes})


def _check_value(field: Field, value: Any) -> Any:
    def fail() -> ConfigError:
        return ConfigError(
            f"method config field {field.name!r} has value {json.dumps(value, default=str)}; "
            f"allowed: {field.allowed()}"
        )

    if value is None:
        if field.nullable:
            return None
        raise fail()
    if field.type is bool:
        if not isinstance(value, bool):
            raise fail()
        return value
    if field.type is str:
        if field.pattern is not None:
            value = normalise_modules(value)
            if not isinstance(value, str) or not re.fullmatch(field.pattern, value):
                raise fail()
        elif not isinstance(value, str) or value not in (field.choices or ()):
            raise fail()
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail()
    if field.type is int:
        if isinstance(value, float) and not value.is_integer():
            raise fail()
        value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise fail()
    if field.low is not None and (value < field.low or (field.low_open and value == field.low)):
        raise fail()
    if field.high is not None and (value > field.high or (field.high_open and value == field.high)):
        raise fail()
    return value


def parse_method_config(
    obj: Any,
    *,
    defaults: Mapping[str, Any] | None = None,
    adapters: tuple[str, ...] | None = None,
) -> MethodConfig:
    """Check `obj` against FIELDS and fill in defaults (a preset's first, then a task's
    `defaults`, then global). `adapters`: those the task's strong model can take (None:
    unknown, not checked).

    Raises ConfigError naming the field, the value and what is allowed.
    """
    if not isinstance(obj, Mapping):
        raise ConfigError(
            f"a method config must be a JSON object, got {type(obj).__name__}; "
            'for example {"method": "vanilla", "loss": "logconf"}'
        )
    unknown = sorted(set(obj) - set(FIELD_BY_NAME))
    if unknown:
        raise ConfigError(
            f"unknown method config field {unknown[0]!r}; fields are: {', '.join(FIELD_BY_NAME)}"
        )
    base = {f.name: f.default for f in FIELDS}
    base.update(defaults or {})
    preset = _check_value(FIELD_BY_NAME["preset"], obj.get("preset", base["preset"]))
    base.update(PRESETS.get(preset, {}))
    values = {f.name: _check_value(f, obj.get(f.name, base[f.name])) for f in FIELDS}
    for f in FIELDS:
        if f.name not in obj or obj[f.name] == base[f.name]:
            continue
        if f.methods is not None and values["method"] not in f.methods:
            raise ConfigError(
                f"method config field {f.name!r} applies only to method "
                f"{' or '.join(repr(m) for m in f.methods)}, not {values['method']!r}"
            )
        if f.losses is not None and values["loss"] not in f.losses:
            raise ConfigError(
                f"method config field {f.name!r} applies only to loss "
                f"{' or '.join(repr(x) for x in f.losses)}, not {values['loss']!r}"
            )
        if f.adapters is not None and values["adapter"] not in f.adapters:
            raise ConfigError(
                f"method config field {f.name!r} applies only to adapter "
                f"{' or '.join(repr(x) for x in f.adapters)}, not {values['adapter']!r}; "
                'add "adapter": "lora"'
            )
    if adapters is not None and values["adapter"] != "none" and values["adapter"] not in adapters:
        raise ConfigError(
            f"method config field 'adapter' is {values['adapter']!r}, but this task's strong "
            "model takes no adapter (it is a probe on frozen features); LoRA needs a task that "
            "fine-tunes its strong model, such as hh-rlhf-qwen-finetune"
        )
    if values["confidence_threshold"] is not None and values["confident_fraction"] is not None:
        raise ConfigError(
            "method config fields 'confidence_threshold' and 'confident_fraction' are both set; "
            "set at most one of them"
        )
    return MethodConfig(values)


def describe_fields() -> list[dict[str, Any]]:
    """Every field: name, type, default, allowed values and documentation, for help and prompts."""
    rows = []
    for f in FIELDS:
        row: dict[str, Any] = {
            "name": f.name,
            "type": {bool: "bool", int: "int", float: "float", str: "str"}[f.type],
            "default": f.default,
            "allowed": f.allowed(),
            "doc": f.doc,
        }
        if f.methods is not None:
            row["methods"] = list(f.methods)
        if f.losses is not None:
            row["losses"] = list(f.losses)
        if f.adapters is not None:
            row["adapters"] = list(f.adapters)
        rows.append(row)
    return rows

"""How a PGR and a method config are written, the same on every screen, report, tool and
post: one definition of each."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def pgr_text(pgr: float | None, undefined: str = "n/a") -> str:
    """A PGR as every screen, report, tool and post writes it: three decimals, or
    `undefined` (a table gives the blank mark of its other columns)."""
    return undefined if pgr is None else f"{pgr:.3f}"


# The fields that tell one method config from another, in the order a reader wants them.
TELLING_FIELDS = (
    "method",
    "loss",
    "labels",
    "lr",
    "epochs",
    "batch_size",
    "weight_decay",
    "label_smoothing",
    "early_stopping",
    "ensemble",
    "confident_fraction",
    "rounds",
    "self_weight",
    "aux_coef",
    "warmup_frac",
    "alpha",
    "beta",
)


def config_text(config: Mapping[str, Any], *, every_field: bool = False) -> str:
    """A method config as `key=value` words: its telling fields that are set, in their
    order; `every_field` adds the others after them, by name. The caller cuts it to fit."""
    keys = [k for k in TELLING_FIELDS if k in config]
    if every_field:
        keys += sorted(k for k in config if k not in TELLING_FIELDS)
    return " ".join(f"{k}={_value_text(config[k])}" for k in keys if config[k] is not None)


def _value_text(value: Any) -> str:
    # As the config's JSON spells it, with floats in at most six digits.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, default=str)

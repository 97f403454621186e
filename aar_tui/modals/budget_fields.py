"""The budget dialog's fields, read off the `SetBudget` command, and how a typed figure is read.

Every limit that `SetBudget` carries becomes a field, so a limit added to the command shows
up in the dialog unasked; `LABELS` only words the known ones for a person.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any

from engine.commands import SetBudget

# Fields of the command that are not limits.
NOT_LIMITS = frozenset({"command", "issued_by"})

LABELS: dict[str, str] = {
    "minutes": "run length, minutes",
    "minutes_per_agent": "minutes per agent",
    "cost_usd": "spend, USD (whole run)",
    "cost_usd_per_agent": "spend per agent, USD",
    "tokens": "tokens (whole run)",
    "tokens_per_agent": "tokens per agent",
    "experiments": "experiments (whole run)",
    "experiments_per_agent": "experiments per agent",
    "gpu_hours": "GPU hours (whole run)",
    "gpu_hours_per_agent": "GPU hours per agent",
    "submissions_per_hour": "submissions per agent per hour",
}

PER_AGENT = "_per_agent"


@dataclass(frozen=True)
class BudgetField:
    name: str  # the field of SetBudget
    label: str
    whole: bool  # a count (int), else any number (float)

    def parse(self, raw: str) -> int | float:
        """The figure typed in `raw`; ValueError with a message for the dialog if it is none.

        Thousands may be grouped with ',' or '_', and a count may be written 1e6.
        """
        text = raw.strip().replace(",", "").replace("_", "")
        kind = "a whole number" if self.whole else "a number"
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{self.label}: {raw.strip()!r} is not {kind}.") from None
        if not math.isfinite(value):
            raise ValueError(f"{self.label}: {raw.strip()!r} is not a finite number.")
        if not self.whole:
            return value
        if not value.is_integer():
            raise ValueError(f"{self.label}: {raw.strip()!r} is not {kind}.")
        return int(text) if text.lstrip("+-").isdigit() else int(value)


def _number_type(annotation: Any) -> type | None:
    """int or float out of `Annotated[int, ...] | None` and the like; None for anything else."""
    if typing.get_origin(annotation) is Annotated:
        return _number_type(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = {_number_type(a) for a in typing.get_args(annotation) if a is not type(None)}
        return found.pop() if len(found) == 1 else None
    return annotation if annotation in (int, float) else None


def budget_fields() -> tuple[BudgetField, ...]:
    """Every numeric limit of SetBudget, each per-agent limit right after its whole-run twin."""
    fields: dict[str, BudgetField] = {}
    for name, info in SetBudget.model_fields.items():
        kind = _number_type(info.annotation)
        if name in NOT_LIMITS or kind is None:
            continue
        fields[name] = BudgetField(name, LABELS.get(name, name.replace("_", " ")), kind is int)
    ordered: list[BudgetField] = []
    for name, field in fields.items():
        if name.endswith(PER_AGENT) and name.removesuffix(PER_AGENT) in fields:
            continue  # placed after its twin
        ordered.append(field)
        if (twin := fields.get(name + PER_AGENT)) is not None:
            ordered.append(twin)
    return tuple(ordered)


def explain(error: dict[str, Any]) -> str:
    """A pydantic error about one limit, in the dialog's words."""
    ctx = error.get("ctx", {})
    if error.get("type") == "greater_than_equal":
        return f"must be {ctx['ge']:g} or more"
    if error.get("type") == "greater_than":
        return f"must be more than {ctx['gt']:g}"
    return str(error.get("msg", "is not allowed"))

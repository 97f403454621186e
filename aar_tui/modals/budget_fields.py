"""The budget dialog's fields, one for each of the run's limits (`engine.limits`), and how
a typed figure is read.

A limit added to the record shows up in the dialog unasked, worded by its own label.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from engine.limits import LIMITS


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


def budget_fields() -> tuple[BudgetField, ...]:
    """Every limit, in the record's order (each per-agent limit after its whole-run twin)."""
    return tuple(BudgetField(limit.name, limit.label, limit.number is int) for limit in LIMITS)


def explain(error: dict[str, Any]) -> str:
    """A pydantic error about one limit, in the dialog's words."""
    ctx = error.get("ctx", {})
    if error.get("type") == "greater_than_equal":
        return f"must be {ctx['ge']:g} or more"
    if error.get("type") == "greater_than":
        return f"must be more than {ctx['gt']:g}"
    return str(error.get("msg", "is not allowed"))

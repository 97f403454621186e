"""A starting direction in words -> the method family an agent starts from and the fields it
searches first. Only the family's defining choices (method, loss, labels, early stopping)
are pinned; numbers in a direction become ranges."""

from __future__ import annotations

from engine.brains.offline.space import FOCUS, Constraints
from engine.brains.offline.understanding import understand


def family_of(direction: str) -> tuple[Constraints, tuple[str, ...]]:
    u = understand(direction)
    fixed = {k: v for k, v in u.constraints.fixed.items() if k in ("method", "loss", "labels")}
    fixed |= {k: v for k, v in u.constraints.fixed.items() if k == "early_stopping"}
    family = (
        fixed.get("loss") if fixed.get("loss") in ("logconf", "product") else fixed.get("method")
    )
    focus = FOCUS.get(str(family), ())
    if not focus and u.constraints.focus:
        focus = u.constraints.focus + FOCUS["tuning"][:2]
    if not focus and "early_stopping" in fixed:
        focus = FOCUS["early"]
    return Constraints(fixed=fixed, ranges=u.constraints.ranges), focus or FOCUS["tuning"]

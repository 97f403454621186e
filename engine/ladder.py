"""The Ladder (Blum & Hardt, 2015): what of a public accuracy the scorer releases to an agent.

An agent is told a new public accuracy only when it beats its best released one by more
than a step, and then rounded to the step's grid; otherwise nothing new. Released values
rise by at least a step each, so one agent gets at most 1/step + 1 releases, and each is
one of at most 1/step + 1 grid values: at most log2(1 + 1/step) bits. With the run-wide
cap of R releases a day, that bounds what the score can tell about the public labels.

`Ladder.release` is pure, so a bench or a search can feed on exactly what an agent is told.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from w2s.metrics import on_grid, score_step


@dataclass(frozen=True)
class Release:
    """The Ladder's answer to one submission: the new released accuracy, if any."""

    accuracy: float | None  # on the grid; None: no significant improvement on `best`
    best: float | None  # the agent's best released accuracy after this submission

    @property
    def released(self) -> bool:
        return self.accuracy is not None


@dataclass(frozen=True)
class Ladder:
    step: float

    @classmethod
    def for_public_rows(cls, n_public: int, step: float | None = None) -> Ladder:
        """The Ladder for a public half of `n_public` rows (`step` overrides the default)."""
        return cls(step or score_step(n_public))

    def release(self, best_released: float | None, accuracy: float) -> Release:
        if best_released is None or accuracy > best_released + self.step:
            value = on_grid(accuracy, self.step)
            return Release(value, value)
        return Release(None, best_released)

    def pgr(self, accuracy: float, weak: float, ceiling: float) -> float | None:
        """PGR of a released accuracy against the baselines on the same grid (3 decimals),
        so the PGR says nothing that the released accuracy and the bundle do not."""
        w, c = on_grid(weak, self.step), on_grid(ceiling, self.step)
        if not c > w:
            return None
        return round((accuracy - w) / (c - w), 3)

    @property
    def bits_per_release(self) -> float:
        return math.log2(1 + 1 / self.step)

    @property
    def releases_per_agent(self) -> int:
        """The most releases one agent can ever get: each rises a step within [0, 1]."""
        return math.floor(1 / self.step + 1e-9) + 1

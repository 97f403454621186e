"""The options a run is opened with beside its config: which stopped run to go on with,
for how long, and what to keep and whom to call (`aar run` and `aar serve` flags)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResumeOptions:
    """How `aar run` and `aar serve` open a run and keep it: `resume` names a stopped run
    to go on with (None: a new run), `minutes` how long it then runs (None: what was left)."""

    resume: str | None = None
    minutes: float | None = None
    keep_sandboxes: bool = False
    on_attention: str | None = None  # a shell command run when the run needs a person

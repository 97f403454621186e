"""The supervisor's commands, as typed immutable records, and what the engine answers.

Every command names who gave it (`issued_by`: "supervisor" from the TUI, "api:NAME" or
"ctl" from scripts); the engine records each one as a `command` event, so every client
sees it. `EngineView.command(cmd)` answers a `CommandResult`:

- `applied`: done (e.g. a hard pause: the agent is `paused`).
- `pending`: accepted, takes effect at the agent's next step boundary (a soft pause, a
  redirect, a stop of a busy agent).
- `refused`: not done; `reason` says why (unknown agent, agent already stopped, ...).

Commands (the `command` field tells them apart on the wire):

| record | effect |
|---|---|
| `Pause(agent_id, hard=False)` | soft: `pausing` until the step ends; hard: cancel the |
|   | call in flight and freeze the sandbox (`paused` at once) |
| `Resume(agent_id)` | resume a paused (or pausing) agent |
| `Redirect(agent_id, text)` | a plain-words instruction the brain reads at its next step |
| `Stop(agent_id)` | stop the agent for good |
| `Spawn(direction, brain=None)` | add an agent with this starting direction |
| `Broadcast(text)` | a supervisor post on the forum, and a message to every agent |
| `PauseAll(hard=False)` / `ResumeAll()` | every live agent |
| `SetBudget(...)` | change the run's limits; fields left `None` stay as they were |
| `RevealPrivate()` | publish the private scores (the only way they leave the engine) |
| `VoidSubmission(submission_id, reason)` | strike a submission from the leaderboard |
| `Reproduce(submission_id)` | reproduce a submission over seeds in fresh sandboxes |
|   | (pending: its verdict comes as a `reproduction` event) |
| `FinishRun(reason)` | stop every agent and end the run |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from engine.bounds import AgentId, RowId
from engine.events import Record
from engine.limits import LimitValues, with_limits

Issuer = Annotated[str, Field(min_length=1, max_length=64)]


class Pause(Record):
    command: Literal["pause"] = "pause"
    agent_id: AgentId
    hard: bool = False
    issued_by: Issuer = "supervisor"


class Resume(Record):
    command: Literal["resume"] = "resume"
    agent_id: AgentId
    issued_by: Issuer = "supervisor"


class Redirect(Record):
    command: Literal["redirect"] = "redirect"
    agent_id: AgentId
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    issued_by: Issuer = "supervisor"


class Stop(Record):
    command: Literal["stop"] = "stop"
    agent_id: AgentId
    issued_by: Issuer = "supervisor"


class Spawn(Record):
    command: Literal["spawn"] = "spawn"
    direction: Annotated[str, Field(min_length=1, max_length=2000)]
    brain: Literal["offline", "claude", "scripted"] | None = None
    issued_by: Issuer = "supervisor"


class Broadcast(Record):
    command: Literal["broadcast"] = "broadcast"
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    issued_by: Issuer = "supervisor"


class PauseAll(Record):
    command: Literal["pause_all"] = "pause_all"
    hard: bool = False
    issued_by: Issuer = "supervisor"


class ResumeAll(Record):
    command: Literal["resume_all"] = "resume_all"
    issued_by: Issuer = "supervisor"


class _SetBudget(Record, LimitValues):
    """Change limits mid-run, one field per limit (`engine.limits`); `minutes` is the
    run's total length from its start."""

    command: Literal["set_budget"] = "set_budget"
    issued_by: Issuer = "supervisor"


# Annotations name the base: the limits' fields are made at run time, from LIMITS.
if TYPE_CHECKING:
    SetBudget = _SetBudget
else:
    SetBudget = with_limits(_SetBudget, bounded=True, unset=True)


class RevealPrivate(Record):
    command: Literal["reveal_private"] = "reveal_private"
    issued_by: Issuer = "supervisor"


class VoidSubmission(Record):
    command: Literal["void_submission"] = "void_submission"
    submission_id: RowId
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    issued_by: Issuer = "supervisor"


class Reproduce(Record):
    command: Literal["reproduce"] = "reproduce"
    submission_id: int
    issued_by: Issuer = "supervisor"


class FinishRun(Record):
    command: Literal["finish_run"] = "finish_run"
    reason: Annotated[str, Field(min_length=1, max_length=1000)] = "finished by the supervisor"
    issued_by: Issuer = "supervisor"


Command = Annotated[
    Pause
    | Resume
    | Redirect
    | Stop
    | Spawn
    | Broadcast
    | PauseAll
    | ResumeAll
    | SetBudget
    | RevealPrivate
    | VoidSubmission
    | Reproduce
    | FinishRun,
    Field(discriminator="command"),
]


class CommandResult(Record):
    """What became of a command; `command_id` is its row in the store (0 if not recorded)."""

    status: Literal["applied", "refused", "pending"]
    reason: str | None = None
    command_id: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    @classmethod
    def applied(cls, reason: str | None = None) -> CommandResult:
        return cls(status="applied", reason=reason)

    @classmethod
    def pending(cls, reason: str | None = None) -> CommandResult:
        return cls(status="pending", reason=reason)

    @classmethod
    def refused(cls, reason: str) -> CommandResult:
        return cls(status="refused", reason=reason)

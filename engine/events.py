"""The event log's records: every kind of event a run emits, as typed immutable records.

An `Event` is `(seq, ts, agent_id, payload)`; `seq` grows by one per event across the
whole run, and `payload` is one of the `*Payload` records below, told apart by its
`kind` field (a pydantic discriminated union, so the API serves and the client parses
exactly these records). A client loads a `Snapshot` (see `engine.view`), then follows
events from its `seq`; it sees an event only after the event's batch is committed.

Kinds and what they carry:

- `run_state`: the run started, is finishing or finished (with a reason); carries the
  deadline, the prepared task's id and its baselines once known.
- `agent_added`: an agent joined the run (direction, brain, model, sandbox backend).
- `agent_state`: an agent moved between states (`AgentState`), with the reason.
- `agent_attention`: the `needs_attention` flag was raised or cleared, with the reason
  (`error_streak`, `stuck`, `budget_near`, `budget`: a budget is spent and holds it).
- `agent_hold`: a reason to hold an agent paused began (`held`) or ended, and who said so;
  several reasons (`supervisor`, `budget`, `attention`) can hold an agent at once, and it
  runs again only when none is left.
- `text_delta` / `thinking_delta`: a piece of the model's visible text or of its thinking,
  to stream on a screen; the offline researcher writes its reasoning as text.
- `usage`: tokens and cost of a model call.
- `tool_call` / `tool_result`: a tool the brain called, with its validated input, and
  what came back (output capped; `ok=False` with an error the brain can read).
- `command_output`: one line of a sandbox command's stdout or stderr, as it streams.
- `experiment_started` / `experiment_finished`: a method config run in a sandbox (or
  answered from the registry, `reused=True`), with its digest and diagnostics.
- `forum_post`: a post as stored (the full `ForumPost`).
- `submission`: a submission with its public score and its flags; never the private score.
- `submission_voided`: the supervisor voided a submission.
- `private_revealed`: the supervisor revealed the private scores; the only event that
  carries them.
- `command`: a supervisor (or script) command, who gave it, and what became of it.
- `budget`: the run's limits (`engine.limits`) and how much of them is spent.
- `sandbox_stats`: an agent's sandbox resource use.
- `error`: something went wrong (`where` says in what); `fatal` when it ended the agent.
- `reproduction`: the engine reproduced a submission in fresh sandboxes over seeds (or is
  doing so): claimed beside reproduced public scores, and the verdict (`reproduced`,
  `irreproducible`, `running`); private scores stay in the store until a reveal.
- `watch_flag`: the reward-hacking watch saw a tool call, a file it wrote or a script it
  ran go looking for labels (a path outside the workspace and bundle, the run directory,
  `hidden`, the network, new namespaces); it flags the agent, and its submissions are
  marked `watch` on the leaderboard.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, TypeAdapter, model_validator

from engine.limits import Limits, Spend, older_budget_event
from engine.record import Record as Record


class AgentState(StrEnum):
    """The states of an agent (DESIGN.md). `pausing` shows a pause that is not yet effective."""

    STARTING = "starting"
    RUNNING = "running"
    WAITING = "waiting"
    PAUSING = "pausing"
    PAUSED = "paused"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (AgentState.STOPPED, AgentState.FINISHED, AgentState.FAILED)


class RunState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    FINISHING = "finishing"
    FINISHED = "finished"


class Score(Record):
    """A score on one half of the test split: accuracy and PGR (None when undefined)."""

    accuracy: float
    pgr: float | None
    n: int


# The kinds of forum post. The supervisor posts notes, insights and hypotheses
# (`HumanPostKind`): a result needs a submission, and an error comes from a run.
PostKind = Literal["hypothesis", "result", "insight", "error", "note"]
POST_KINDS: tuple[PostKind, ...] = get_args(PostKind)
HumanPostKind = Literal["note", "insight", "hypothesis"]
HUMAN_POST_KINDS: tuple[HumanPostKind, ...] = get_args(HumanPostKind)


class ForumPost(Record):
    """A forum post as stored. `snapshot_files` names the workspace files kept with a result."""

    id: int
    author: str
    kind: PostKind
    title: str
    body: str
    tags: tuple[str, ...] = ()
    metrics: dict[str, float] = Field(default_factory=dict)
    parent_id: int | None = None
    submission_id: int | None = None
    snapshot_files: tuple[str, ...] = ()
    ts: float


# ---- payloads -------------------------------------------------------------------------


class RunStatePayload(Record):
    kind: Literal["run_state"] = "run_state"
    state: RunState
    reason: str = ""
    deadline: float | None = None
    task_id: str | None = None
    baselines: dict[str, Any] | None = None


class AgentAddedPayload(Record):
    kind: Literal["agent_added"] = "agent_added"
    direction: str
    brain: str
    model: str | None = None
    sandbox_backend: str


class AgentStatePayload(Record):
    kind: Literal["agent_state"] = "agent_state"
    state: AgentState
    previous: AgentState | None = None
    reason: str = ""
    sandbox_id: str | None = None


# Why an agent needs a person: failing steps, no progress, a budget near or at its end; "": none.
AttentionReason = Literal["error_streak", "stuck", "budget_near", "budget", ""]


class AgentAttentionPayload(Record):
    kind: Literal["agent_attention"] = "agent_attention"
    needs_attention: bool
    reason: AttentionReason = ""
    detail: str = ""


# Why an agent is held paused: a person's pause, a spent budget, or a wait for a person.
HoldReason = Literal["supervisor", "budget", "attention"]


class AgentHoldPayload(Record):
    kind: Literal["agent_hold"] = "agent_hold"
    reason: HoldReason
    held: bool  # True when the hold begins, False when it is lifted
    by: str  # who: "supervisor", "ctl:ana@box", or "budget" for the budget guard
    detail: str = ""


class TextDeltaPayload(Record):
    kind: Literal["text_delta"] = "text_delta"
    text: str
    step: int = 0


class ThinkingDeltaPayload(Record):
    kind: Literal["thinking_delta"] = "thinking_delta"
    text: str
    step: int = 0


class UsagePayload(Record):
    """Model usage of one call: tokens and cost (the offline brain reports none)."""

    kind: Literal["usage"] = "usage"
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    # Of `tokens_in`: those read from and written to the prompt cache (model brains).
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    model: str | None = None


class ToolCallPayload(Record):
    kind: Literal["tool_call"] = "tool_call"
    call_id: str
    tool: str
    input: dict[str, Any]
    step: int = 0


class ToolResultPayload(Record):
    kind: Literal["tool_result"] = "tool_result"
    call_id: str
    tool: str
    ok: bool
    output: str
    error: str | None = None
    truncated: bool = False
    duration: float = 0.0


class CommandOutputPayload(Record):
    kind: Literal["command_output"] = "command_output"
    call_id: str
    stream: Literal["stdout", "stderr"]
    line: str


class ExperimentStartedPayload(Record):
    kind: Literal["experiment_started"] = "experiment_started"
    experiment_id: int
    digest: str
    config: dict[str, Any]


class ExperimentFinishedPayload(Record):
    kind: Literal["experiment_finished"] = "experiment_finished"
    experiment_id: int
    digest: str
    ok: bool
    diagnostics: dict[str, Any] = Field(default_factory=dict)
    duration: float = 0.0
    reused: bool = False
    error: str | None = None


class ForumPostPayload(Record):
    kind: Literal["forum_post"] = "forum_post"
    post: ForumPost


class SubmissionPayload(Record):
    """A submission as answered to its agent. `scored=False` when a defence withheld a score."""

    kind: Literal["submission"] = "submission"
    submission_id: int
    method: str
    predictions_digest: str
    public: Score | None
    flags: tuple[str, ...] = ()
    scored: bool = True
    experiment_digest: str | None = None


class Reproduced(Record):
    """A submission reproduced over seeds: its public scores' mean and spread, and the verdict."""

    status: Literal["running", "reproduced", "irreproducible"]
    seeds: tuple[int, ...] = ()
    public_pgr_mean: float | None = None
    public_pgr_sd: float | None = None
    public_accuracy_mean: float | None = None
    public_accuracy_sd: float | None = None
    flags: tuple[str, ...] = ()
    message: str = ""


class ReproductionPayload(Record):
    kind: Literal["reproduction"] = "reproduction"
    submission_id: int
    claimed: Score | None = None
    reproduced: Reproduced


class SubmissionVoidedPayload(Record):
    kind: Literal["submission_voided"] = "submission_voided"
    submission_id: int
    reason: str
    by: str


class RevealedScore(Record):
    submission_id: int
    agent_id: str
    private: Score


class PrivateRevealedPayload(Record):
    kind: Literal["private_revealed"] = "private_revealed"
    scores: tuple[RevealedScore, ...]
    by: str


class CommandPayload(Record):
    """A command and its outcome. `command` is the command record as a dict (engine.commands)."""

    kind: Literal["command"] = "command"
    command_id: int
    command: dict[str, Any]
    issued_by: str
    status: Literal["applied", "refused", "pending"]
    reason: str | None = None


class BudgetPayload(Record):
    kind: Literal["budget"] = "budget"
    limits: Limits
    spend: Spend
    older_shape = model_validator(mode="before")(older_budget_event)


class SandboxStatsPayload(Record):
    kind: Literal["sandbox_stats"] = "sandbox_stats"
    cpu_percent: float
    memory_bytes: int
    pids: int
    gpu: dict[str, Any] | None = None


class ErrorPayload(Record):
    kind: Literal["error"] = "error"
    message: str
    where: str = ""
    fatal: bool = False


class WatchFlagPayload(Record):
    kind: Literal["watch_flag"] = "watch_flag"
    call_id: str
    tool: str
    what: str
    detail: str = ""


Payload = Annotated[
    RunStatePayload
    | AgentAddedPayload
    | AgentStatePayload
    | AgentAttentionPayload
    | AgentHoldPayload
    | TextDeltaPayload
    | ThinkingDeltaPayload
    | UsagePayload
    | ToolCallPayload
    | ToolResultPayload
    | CommandOutputPayload
    | ExperimentStartedPayload
    | ExperimentFinishedPayload
    | ForumPostPayload
    | SubmissionPayload
    | SubmissionVoidedPayload
    | ReproductionPayload
    | PrivateRevealedPayload
    | CommandPayload
    | BudgetPayload
    | SandboxStatsPayload
    | ErrorPayload
    | WatchFlagPayload,
    Field(discriminator="kind"),
]

PAYLOAD_ADAPTER: TypeAdapter[Payload] = TypeAdapter(Payload)

# The kinds that make up an agent's transcript (what it thought, did and got back).
TRANSCRIPT_KINDS: frozenset[str] = frozenset(
    {
        "agent_state",
        "text_delta",
        "thinking_delta",
        "tool_call",
        "tool_result",
        "command_output",
        "experiment_started",
        "experiment_finished",
        "submission",
        "error",
        "command",
        "watch_flag",
    }
)


class Event(Record):
    """One entry of the run's append-only log."""

    seq: int
    ts: float
    agent_id: str | None = None
    payload: Payload

    @property
    def kind(self) -> str:
        return self.payload.kind

    @classmethod
    def of(cls, seq: int, ts: float, agent_id: str | None, payload: Payload) -> Event:
        """An event from fields already valid (the engine's hot path, its payload validated
        when made): equal to `Event(seq=..., ...)` at a fraction of the cost."""
        event = cls.__new__(cls)
        object.__setattr__(
            event, "__dict__", {"seq": seq, "ts": ts, "agent_id": agent_id, "payload": payload}
        )
        object.__setattr__(event, "__pydantic_fields_set__", {"seq", "ts", "agent_id", "payload"})
        object.__setattr__(event, "__pydantic_extra__", None)
        object.__setattr__(event, "__pydantic_private__", None)
        return event


def now() -> float:
    return time.time()


def payload_from_json(text: str | bytes) -> Payload:
    return PAYLOAD_ADAPTER.validate_json(text)

"""The rows and notices the screens draw: agents, submissions, what changed, toasts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from engine.events import Reproduced, Score
from engine.view import AgentInfo, LeaderboardEntry


@dataclass
class AgentRow:
    """An agent as the swarm table shows it."""

    id: str
    direction: str
    brain: str
    state: str
    state_reason: str = ""
    step: str = ""
    experiments: int = 0
    submissions: int = 0
    best_pgr: float | None = None
    tokens: int = 0
    cost: float = 0.0
    attention: str = ""
    model: str | None = None
    sandbox: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    # What holds it paused now: reason -> (who, detail, since when).
    holds: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    # The experiment in flight (id, config, its description) and the last one finished
    # (id, config), which the next one's description is told against.
    experiment: tuple[int, dict[str, Any], str] | None = None
    last_config: tuple[int, dict[str, Any]] | None = None
    # An experiment that a pause or a stop cut short, in words; cleared when it runs again.
    cut: str = ""

    @classmethod
    def from_info(cls, info: AgentInfo) -> AgentRow:
        c = info.counters
        return cls(
            id=info.id,
            direction=info.direction,
            brain=info.brain,
            state=str(info.state),
            state_reason=info.state_reason,
            experiments=c.experiments,
            submissions=c.submissions,
            best_pgr=info.best_public_pgr,
            tokens=c.tokens_in + c.tokens_out,
            cost=c.cost_usd,
            attention=(info.attention_reason or "attention") if info.needs_attention else "",
            model=info.model,
            sandbox=info.sandbox_backend,
            holds={h.reason: (h.by, h.detail, h.started) for h in info.holds if h.ended is None},
        )


@dataclass
class SubmissionRow:
    """A submission as the leaderboard shows it."""

    id: int
    agent_id: str
    method: str
    ts: float
    public: Score | None
    private: Score | None = None
    flags: tuple[str, ...] = ()
    voided: bool = False
    void_reason: str | None = None
    reproduced: Reproduced | None = None
    experiment_digest: str | None = None

    @classmethod
    def from_entry(cls, e: LeaderboardEntry) -> SubmissionRow:
        return cls(
            e.submission_id,
            e.agent_id,
            e.method,
            e.ts,
            e.public,
            e.private,
            e.flags,
            e.voided,
            e.void_reason,
            e.reproduced,
            getattr(e, "experiment_digest", None),
        )

    @property
    def ranked(self) -> bool:
        return not self.voided and not self.flags and self.public is not None


@dataclass(frozen=True)
class Notice:
    """Something worth a toast."""

    message: str
    severity: Literal["information", "warning", "error"] = "information"
    title: str = ""


@dataclass
class Changes:
    """What one batch of events touched, so only those parts of the screen redraw."""

    header: bool = False
    agents: set[str] = field(default_factory=set)
    agents_added: bool = False
    panes: set[str] = field(default_factory=set)
    board: bool = False
    forum: bool = False
    events: int = 0

    def merge(self, other: Changes) -> None:
        self.header |= other.header
        self.agents |= other.agents
        self.agents_added |= other.agents_added
        self.panes |= other.panes
        self.board |= other.board
        self.forum |= other.forum
        self.events += other.events

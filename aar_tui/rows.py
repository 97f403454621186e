"""The rows and notices the screens draw: agents, what changed, toasts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from engine.view import AgentInfo


@dataclass
class AgentRow:
    """An agent as the swarm table shows it: the projection's record of it (state, counters,
    best PGR, holds), and what only the screen keeps (the step, the experiment in flight)."""

    info: AgentInfo
    step: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    # The experiment in flight (id, config, its description) and the last one finished
    # (id, config), which the next one's description is told against.
    experiment: tuple[int, dict[str, Any], str] | None = None
    last_config: tuple[int, dict[str, Any]] | None = None
    # An experiment that a pause or a stop cut short, in words; cleared when it runs again.
    cut: str = ""
    # The first line of the latest redirect, shown as the direction.
    redirected: str = ""
    # What a pause sent from here shows until the engine's own state change arrives.
    shown_state: str = ""

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def direction(self) -> str:
        return self.redirected or self.info.direction

    @property
    def brain(self) -> str:
        return self.info.brain

    @property
    def model(self) -> str | None:
        return self.info.model

    @property
    def sandbox(self) -> str:
        return self.info.sandbox_backend

    @property
    def state(self) -> str:
        return self.shown_state or str(self.info.state)

    @property
    def state_reason(self) -> str:
        return self.info.state_reason

    @property
    def experiments(self) -> int:
        return self.info.counters.experiments

    @property
    def submissions(self) -> int:
        return self.info.counters.submissions

    @property
    def best_pgr(self) -> float | None:
        return self.info.best_public_pgr

    @property
    def tokens(self) -> int:
        return self.info.counters.tokens_in + self.info.counters.tokens_out

    @property
    def cost(self) -> float:
        return self.info.counters.cost_usd

    @property
    def attention(self) -> str:
        info = self.info
        return (info.attention_reason or "attention") if info.needs_attention else ""

    @property
    def holds(self) -> dict[str, tuple[str, str, float]]:
        """What holds it paused now: reason -> (who, detail, since when)."""
        return {h.reason: (h.by, h.detail, h.started) for h in self.info.holds if h.ended is None}


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

"""What holds an agent paused: each reason with its detail, each change an event."""

from __future__ import annotations

from engine.eventlog import EventLog
from engine.events import AgentHoldPayload, HoldReason


class Holds(dict[HoldReason, str]):
    """The reasons holding one agent; it runs again only when none is left. Each change is
    an `agent_hold` event (`engine.events.AgentHoldPayload`)."""

    def __init__(self, agent_id: str, events: EventLog) -> None:
        super().__init__()
        self._agent_id = agent_id
        self._events = events

    def add(self, reason: HoldReason, by: str, detail: str = "") -> bool:
        """Record a reason to hold the agent; False when that reason already holds it."""
        if reason in self:
            return False
        self[reason] = detail
        self._events.append(
            self._agent_id, AgentHoldPayload(reason=reason, held=True, by=by, detail=detail)
        )
        return True

    def lift(self, reason: HoldReason, by: str) -> bool:
        """Lift one reason; False when it did not hold the agent."""
        if self.pop(reason, None) is None:
            return False
        self._events.append(self._agent_id, AgentHoldPayload(reason=reason, held=False, by=by))
        return True

    def text(self) -> str:
        return "; ".join(f"{r} ({d})" if d else r for r, d in self.items())

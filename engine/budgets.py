"""Budgets that pause: the limits of `engine.limits` that the guard holds the run to.

The guard reads spend from the snapshot (so a resumed run counts what it spent before),
holds an agent whose own limit is reached, or every agent when a run-wide one is, with
the reason in the agent's state and a `budget` hold, at the latest before the agent's
next step (`before_step`). `SetBudget` calls `recheck()`, which lifts the budget's hold
where a raised limit frees it (the agent runs again unless another reason, such as the
supervisor's pause, still holds it). The limits and the spend
so far go out as a `budget` event, which clients show.
The run's length (`minutes`) is not a pause: the run ends at its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from engine.agent import Agent
from engine.config import RunConfig
from engine.eventlog import EventLog
from engine.events import AgentState, BudgetPayload, Event
from engine.limits import LIMITS, MINUTES, Measure, Spend
from engine.projection import Projection

SPEND_EVERY = 10.0
# In every reason a budget gives for a pause, so that a resumed run knows its own pauses.
BUDGET_WORDS = "budget is spent"
# How the run_experiment tool words its refusal past the agent's experiment budget.
REFUSED_EXPERIMENT = "experiment budget spent"
# Kinds that change what is spent: the guard looks again when one is committed.
_SPENDING = frozenset({"usage", "experiment_finished", "submission", "agent_added", "budget"})
_BUSY = (AgentState.RUNNING, AgentState.WAITING, AgentState.PAUSING)
_GUARDED = tuple(limit for limit in LIMITS if limit.enforcer == "guard")

log = logging.getLogger("engine.budgets")


class BudgetGuard:
    """The one enforcer of the limits the guard holds (`engine.limits`): it measures each
    spend from the projection of the durable log, so a resumed run counts what it spent."""

    def __init__(
        self,
        config: RunConfig,
        projection: Projection,
        agents: Mapping[str, Agent],
        events: EventLog,
        *,
        elapsed_minutes: Callable[[], float],
        run_minutes: Callable[[], float | None],
    ) -> None:
        self.config = config
        self.projection = projection
        self.agents = agents
        self.events = events
        self._elapsed_minutes = elapsed_minutes
        self._run_minutes = run_minutes  # the run's length as its deadline has it
        self.gpu_seconds: dict[str, float] = {}
        self.active_seconds: dict[str, float] = {}  # working time, paused time left out
        # Agents that asked for an experiment past their budget: the tool refused it. Only
        # then does the experiment budget pause them, so the last one can still be submitted.
        self.wants_more: set[str] = set()
        self.run_reason = ""
        # GPU-hours a resumed run had used before this engine started counting (None
        # until the guard counts: the log's figure stands till then).
        self._before: float | None = None
        self._wake = asyncio.Event()
        self._ticked = time.monotonic()
        self._published: BudgetPayload | None = None

    def on_commit(self, batch: list[Event]) -> None:
        for e in batch:
            p = e.payload
            if p.kind == "tool_result" and (p.error or "").startswith(REFUSED_EXPERIMENT):
                self.wants_more.add(e.agent_id or "")
                self._wake.set()
            elif e.kind in _SPENDING:
                self._wake.set()

    # ---- what is spent --------------------------------------------------------------

    def agent_gpu_hours(self, agent_id: str) -> float:
        return self.gpu_seconds.get(agent_id, 0.0) / 3600

    def run_gpu_hours(self) -> float:
        if self._before is None:
            return self.projection.budgets.gpu_hours_used
        return self._before + sum(self.gpu_seconds.values()) / 3600

    def _tick_gpu(self) -> None:
        now = time.monotonic()
        dt, self._ticked = now - self._ticked, now
        for agent in self.agents.values():
            if agent.state not in _BUSY:
                continue
            self.active_seconds[agent.id] = self.active_seconds.get(agent.id, 0.0) + dt
            box = agent.sandbox
            if box is not None and box.spec.gpus:
                self.gpu_seconds[agent.id] = self.gpu_seconds.get(agent.id, 0.0) + dt * len(
                    box.spec.gpus
                )

    def run_tokens(self) -> int:
        return sum(
            a.counters.tokens_in + a.counters.tokens_out for a in self.projection.agents.values()
        )

    def _spent(self, caps: Measure, agent_id: str | None) -> float | None:
        """What the agent (None: the whole run) spent of `caps`; None where it is not counted."""
        if agent_id is None:
            budgets = self.projection.budgets
            match caps:
                case "tokens":
                    return self.run_tokens()
                case "cost":
                    return budgets.cost_used_usd
                case "experiments":
                    return budgets.experiments_used
                case "gpu_hours":
                    return self.run_gpu_hours()
            return None
        info = self.projection.agents.get(agent_id)
        if info is None:
            return None
        c = info.counters
        match caps:
            case "tokens":
                return c.tokens_in + c.tokens_out
            case "cost":
                return c.cost_usd
            case "experiments":
                return c.experiments
            case "minutes":
                return self.active_seconds.get(agent_id, 0.0) / 60
            case "gpu_hours":
                return self.agent_gpu_hours(agent_id)
            case "submissions":
                return c.submissions
        return None

    def _over(self, agent_id: str | None) -> str:
        scope = "run" if agent_id is None else "agent"
        for limit in _GUARDED:
            cap = self.config.limit(limit)
            if limit.scope != scope or cap is None:
                continue
            spent = self._spent(limit.caps, agent_id)
            if spent is None or spent < cap:
                continue
            if limit.caps == "experiments" and scope == "agent" and agent_id not in self.wants_more:
                continue  # the tool refuses the next one; only asking for it holds the agent
            return limit.spent_reason(spent, cap)
        return ""

    def agent_over(self, agent_id: str) -> str:
        """What of the agent's own budget is spent, in words; "" when nothing is."""
        return self._over(agent_id)

    def run_over(self) -> str:
        """What of the run's budget is spent, in words; "" when nothing is."""
        return self._over(None)

    def spend(self) -> Spend:
        """The run's spend so far, as the fields of `engine.view.Budgets` it updates."""
        return Spend(
            elapsed_minutes=round(self._elapsed_minutes(), 2),
            tokens_used=self.run_tokens(),
            gpu_hours_used=round(self.run_gpu_hours(), 4),
            paused_reason=self.run_reason,
        )

    # ---- acting on it ---------------------------------------------------------------

    async def watch(self) -> None:
        """Runs for the whole run (owned by the engine's TaskGroup)."""
        # Restored agents brought their own GPU time; the rest is of agents that ended.
        restored = sum(self.gpu_seconds.values()) / 3600
        self._before = max(0.0, self.projection.budgets.gpu_hours_used - restored)
        self._ticked = time.monotonic()
        self.publish(limits_changed=True)  # the run's limits as it starts
        last_spend = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._wake.wait()
            self._wake.clear()
            self._tick_gpu()
            changed = await self.enforce()
            if changed or time.monotonic() - last_spend >= SPEND_EVERY:
                self.publish()
                last_spend = time.monotonic()

    def publish(self, *, limits_changed: bool = False) -> None:
        """Send the limits and the spend out as a `budget` event, unless nothing moved
        (`limits_changed`: they did, so it goes out in any case)."""
        limits = self.config.limits().model_copy(update={MINUTES.name: self._run_minutes()})
        spend = self.spend()
        payload = BudgetPayload(limits=limits, spend=spend)
        moving = payload.model_copy(
            update={"spend": spend.model_copy(update={"elapsed_minutes": 0.0})}
        )
        if not limits_changed and moving == self._published and spend.elapsed_minutes == 0:
            return
        self._published = moving
        self.events.append(None, payload)

    async def before_step(self, agent: Agent) -> None:
        """Hold the agent before its next step if a budget is spent. What its last step
        spent is committed first, so no step starts past a limit."""
        if all(self.config.limit(limit) is None for limit in _GUARDED):
            return  # no limit to hold it to: its steps need not wait for a commit
        await self.events.flush()
        reason = self.run_over() or self.agent_over(agent.id)
        if reason and not agent.budget_reason:
            await self._hold(agent, reason)
            self._wake.set()  # the guard tells the others and publishes the spend

    async def _hold(self, agent: Agent, reason: str) -> bool:
        # Held by the budget beside any other reason: a paused agent gets the hold too,
        # so that lifting the other one does not let it spend past the limit.
        result = await agent.pause(reason=reason, hold="budget", by="budget")
        if result.ok:
            # A person decides whether to raise it: that is what attention is for.
            agent.attend("budget", reason)
            log.info("agent %s held: %s", agent.id, reason)
        return result.ok

    async def enforce(self) -> bool:
        """Pause the agents whose budget (or the run's) is spent; True if any was paused."""
        self.run_reason = self.run_over()
        paused = False
        for agent in list(self.agents.values()):
            if not agent.live or agent.budget_reason or agent.state == AgentState.STARTING:
                continue
            reason = self.run_reason or self.agent_over(agent.id)
            if reason and await self._hold(agent, reason):
                paused = True
        return paused

    async def recheck(self, by: str = "budget") -> None:
        """After limits changed: lift the budget's hold where it no longer holds (only that
        hold: an agent the supervisor paused stays paused)."""
        self.run_reason = self.run_over()
        for agent in list(self.agents.values()):
            if agent.budget_reason and not (self.run_reason or self.agent_over(agent.id)):
                await agent.resume(hold="budget", by=by)
                self.wants_more.discard(agent.id)
                if agent.attention == "budget":
                    agent.attend("")
                log.info("agent %s: the budget's hold is lifted by %s", agent.id, by)
        await self.enforce()
        self.publish(limits_changed=True)

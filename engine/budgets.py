"""Budgets that pause: per agent and per run, tokens, cost, wall time, experiments, GPU-hours.

The guard reads spend from the snapshot (so a resumed run counts what it spent before),
holds an agent whose own limit is reached, or every agent when a run-wide one is, with
the reason in the agent's state and a `budget` hold; `SetBudget` calls `recheck()`,
which lifts the budget's hold where a raised limit frees it (the agent runs again unless
another reason, such as the supervisor's pause, still holds it). Spend so far goes out
as a `budget` event, which clients show.
The run's length (`minutes`) is not a pause: the run ends at its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from engine.events import AgentState, BudgetPayload, Event

if TYPE_CHECKING:
    from engine.run.budgeted import BudgetedRun as Engine

SPEND_EVERY = 10.0
# In every reason a budget gives for a pause, so that a resumed run knows its own pauses.
BUDGET_WORDS = "budget is spent"
# How the run_experiment tool words its refusal past the agent's experiment budget.
REFUSED_EXPERIMENT = "experiment budget spent"
# Kinds that change what is spent: the guard looks again when one is committed.
_SPENDING = frozenset({"usage", "experiment_finished", "agent_added", "budget"})
_BUSY = (AgentState.RUNNING, AgentState.WAITING, AgentState.PAUSING)

log = logging.getLogger("engine.budgets")


class BudgetGuard:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.gpu_seconds: dict[str, float] = {}
        self.active_seconds: dict[str, float] = {}  # working time, paused time left out
        # Agents that asked for an experiment past their budget: the tool refused it. Only
        # then does the experiment budget pause them, so the last one can still be submitted.
        self.wants_more: set[str] = set()
        self.run_reason = ""
        # GPU-hours a resumed run had used before this engine started counting.
        self._before = 0.0
        self._wake = asyncio.Event()
        self._ticked = time.monotonic()
        self._published: dict[str, object] = {}

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
        return self._before + sum(self.gpu_seconds.values()) / 3600

    def _tick_gpu(self) -> None:
        now = time.monotonic()
        dt, self._ticked = now - self._ticked, now
        for agent in self.engine.agents.values():
            if agent.state not in _BUSY:
                continue
            self.active_seconds[agent.id] = self.active_seconds.get(agent.id, 0.0) + dt
            box = agent.sandbox
            if box is not None and box.spec.gpus:
                self.gpu_seconds[agent.id] = self.gpu_seconds.get(agent.id, 0.0) + dt * len(
                    box.spec.gpus
                )

    def agent_over(self, agent_id: str) -> str:
        """What of the agent's own budget is spent, in words; "" when nothing is."""
        b = self.engine.config.budget
        info = self.engine.projection.agents.get(agent_id)
        if info is None:
            return ""
        c = info.counters
        tokens = c.tokens_in + c.tokens_out
        if b.tokens_per_agent is not None and tokens >= b.tokens_per_agent:
            return f"the agent's token budget is spent ({tokens:,} of {b.tokens_per_agent:,})"
        if b.cost_usd_per_agent is not None and c.cost_usd >= b.cost_usd_per_agent:
            return (
                f"the agent's cost budget is spent (${c.cost_usd:.2f} of"
                f" ${b.cost_usd_per_agent:.2f})"
            )
        if (
            b.experiments_per_agent is not None
            and c.experiments >= b.experiments_per_agent
            and agent_id in self.wants_more
        ):
            return (
                f"the agent's experiment budget is spent ({c.experiments} of"
                f" {b.experiments_per_agent})"
            )
        minutes = self.active_seconds.get(agent_id, 0.0) / 60
        if b.minutes_per_agent is not None and minutes >= b.minutes_per_agent:
            return (
                f"the agent's working-time budget is spent ({minutes:.1f} of"
                f" {b.minutes_per_agent:g} minutes)"
            )
        gpu = self.agent_gpu_hours(agent_id)
        if b.gpu_hours_per_agent is not None and gpu >= b.gpu_hours_per_agent:
            return (
                f"the agent's GPU-hour budget is spent ({gpu:.2f} of {b.gpu_hours_per_agent:.2f})"
            )
        return ""

    def run_over(self) -> str:
        b = self.engine.config.budget
        p = self.engine.projection
        tokens = sum(a.counters.tokens_in + a.counters.tokens_out for a in p.agents.values())
        if b.tokens is not None and tokens >= b.tokens:
            return f"the run's token budget is spent ({tokens:,} of {b.tokens:,})"
        if b.experiments is not None and p.budgets.experiments_used >= b.experiments:
            return (
                f"the run's experiment budget is spent ({p.budgets.experiments_used} of"
                f" {b.experiments})"
            )
        spent = self.engine.projection.budgets.cost_used_usd
        if b.cost_usd is not None and spent >= b.cost_usd:
            return f"the run's cost budget is spent (${spent:.2f} of ${b.cost_usd:.2f})"
        gpu = self.run_gpu_hours()
        if b.gpu_hours is not None and gpu >= b.gpu_hours:
            return f"the run's GPU-hour budget is spent ({gpu:.2f} of {b.gpu_hours:.2f})"
        return ""

    def spend(self) -> dict[str, object]:
        """The run's spend so far, as the fields of `engine.view.Budgets` it updates."""
        p = self.engine.projection
        return {
            "elapsed_minutes": round(self.engine.elapsed_minutes(), 2),
            "tokens_used": sum(
                a.counters.tokens_in + a.counters.tokens_out for a in p.agents.values()
            ),
            "gpu_hours_used": round(self.run_gpu_hours(), 4),
            "paused_reason": self.run_reason,
        }

    # ---- acting on it ---------------------------------------------------------------

    async def watch(self) -> None:
        """Runs for the whole run (owned by the engine's TaskGroup)."""
        # Restored agents brought their own GPU time; the rest is of agents that ended.
        restored = sum(self.gpu_seconds.values()) / 3600
        self._before = max(0.0, self.engine.projection.budgets.gpu_hours_used - restored)
        self._ticked = time.monotonic()
        last_spend = 0.0
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

    def publish(self) -> None:
        spend = self.spend()
        moving = {k: v for k, v in spend.items() if k != "elapsed_minutes"}
        if moving == self._published and spend["elapsed_minutes"] == 0:
            return
        self._published = moving
        self.engine.events.append(None, BudgetPayload(budgets=spend))

    async def enforce(self) -> bool:
        """Pause the agents whose budget (or the run's) is spent; True if any was paused."""
        self.run_reason = self.run_over()
        paused = False
        for agent in list(self.engine.agents.values()):
            if not agent.live or agent.budget_reason or agent.state == AgentState.STARTING:
                continue
            reason = self.run_reason or self.agent_over(agent.id)
            if not reason:
                continue
            # Held by the budget beside any other reason: a paused agent gets the hold too,
            # so that lifting the other one does not let it spend past the limit.
            result = await agent.pause(reason=reason, hold="budget", by="budget")
            if result.ok:
                paused = True
                # A person decides whether to raise it: that is what attention is for.
                agent.attend("budget", reason)
                log.info("agent %s held: %s", agent.id, reason)
        return paused

    async def recheck(self, by: str = "budget") -> None:
        """After limits changed: lift the budget's hold where it no longer holds (only that
        hold: an agent the supervisor paused stays paused)."""
        self.run_reason = self.run_over()
        for agent in list(self.engine.agents.values()):
            if agent.budget_reason and not (self.run_reason or self.agent_over(agent.id)):
                await agent.resume(hold="budget", by=by)
                self.wants_more.discard(agent.id)
                if agent.attention == "budget":
                    agent.attend("")
                log.info("agent %s: the budget's hold is lifted by %s", agent.id, by)
        await self.enforce()
        self.publish()

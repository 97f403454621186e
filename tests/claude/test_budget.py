"""A Claude agent's spend is held to the run's caps by the budget guard alone, across a
resume too: the guard counts what the durable log says was spent, so the spend from
before the engine stopped still counts after it comes back."""

from __future__ import annotations

import pytest

from engine.commands import SetBudget
from engine.events import AgentState
from tests.claude.conftest import Swarm
from tests.services.messages_api import Reply, tool


def _write(_body: dict) -> Reply:
    return Reply([tool("write_file", {"path": "note.txt", "content": "a step"})])


async def _held(swarm: Swarm) -> str:
    return await swarm.wait_for(lambda: swarm.agent().budget_reason, what="the budget's hold")


async def test_the_runs_cost_cap_holds_before_and_after_a_resume(open_swarm, api):
    api.responder = _write
    first = await open_swarm(budget={"cost_usd": 0.01})
    reason = await _held(first)
    # Held before its next step: the call that spent the cap is the only one.
    assert len(api.requests) == 1 and "run's cost budget is spent" in reason
    spent = first.engine.projection.budgets.cost_used_usd
    assert spent >= 0.01
    run_dir = first.engine.run_dir
    await first.close()

    again = await open_swarm(resume=run_dir)
    await again.wait_for(lambda: again.agent().state == AgentState.PAUSED, what="held again")
    assert "cost budget is spent" in again.agent().budget_reason
    assert again.engine.projection.budgets.cost_used_usd == pytest.approx(spent)
    assert len(api.requests) == 1

    # Room for a sliver more: one call, and the guard, counting the spend from before the
    # resume with that call's, holds the agent again before another.
    result = await again.engine.command(SetBudget(cost_usd=round(spent * 1.01, 6)))
    assert result.ok
    reason = await again.wait_for(
        lambda: len(api.requests) >= 2 and again.agent().budget_reason, what="held once more"
    )
    assert len(api.requests) == 2 and "run's cost budget is spent" in reason
    total = again.engine.projection.budgets.cost_used_usd
    assert total > spent * 1.01
    assert total == pytest.approx(sum(e.payload.cost_usd for e in await again.events("usage")))


async def test_an_agents_token_cap_holds_a_claude_agent_after_a_resume(open_swarm, api):
    api.responder = _write
    first = await open_swarm(budget={"tokens_per_agent": 1})
    assert "agent's token budget is spent" in await _held(first)
    assert len(api.requests) == 1
    run_dir = first.engine.run_dir
    await first.close()

    again = await open_swarm(resume=run_dir)
    used = again.info().counters.tokens_in + again.info().counters.tokens_out
    # Just past what it used: its own count would start again at zero; the guard's does not.
    await again.engine.command(SetBudget(tokens_per_agent=used + 1))
    reason = await again.wait_for(
        lambda: len(api.requests) >= 2 and again.agent().budget_reason, what="held once more"
    )
    assert len(api.requests) == 2 and "agent's token budget is spent" in reason

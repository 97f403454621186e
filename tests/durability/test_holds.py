"""Holds: an agent held paused for several reasons at once, each lifted only by its own cause.

A spent budget and the supervisor can both hold an agent; raising the budget lifts only
the budget's hold, a resume only the supervisor's, and the agent runs again once nothing
holds it. Every hold is recorded (reason, start, end, who) and comes back on resume.
"""

from __future__ import annotations

from engine.commands import Pause, Resume, SetBudget
from engine.events import AgentState
from engine.resume import resume_engine
from tests.durability.test_budgets import _factory, _paused_by_budget
from tests.engine.brains import ControlledBrain
from tests.engine.harness import running, until


def _open_holds(engine, agent_id: str) -> dict[str, str]:
    return {h.reason: h.by for h in engine.projection.agents[agent_id].holds if h.ended is None}


async def test_raising_a_budget_lifts_only_the_budgets_hold(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 1}, budget={"tokens_per_agent": 300})
    async with running(engine):
        await until(lambda: _paused_by_budget(engine, "a1", "token budget"), what="a pause")
        await until(lambda: "budget" in _open_holds(engine, "a1"), what="the budget's hold")
        paused = await engine.command(Pause(agent_id="a1", hard=True, issued_by="ctl:ana@box"))
        assert paused.status == "applied"
        await until(lambda: "supervisor" in _open_holds(engine, "a1"), what="the second hold")
        assert _open_holds(engine, "a1") == {"budget": "budget", "supervisor": "ctl:ana@box"}

        raised = await engine.command(SetBudget(tokens_per_agent=10**6, issued_by="ctl:bo@box"))
        assert raised.ok
        await until(lambda: "budget" not in _open_holds(engine, "a1"), what="the lift")
        steps = engine.agents["a1"].steps
        assert engine.agents["a1"].state == AgentState.PAUSED  # the supervisor still holds it
        budget_hold = next(h for h in engine.projection.agents["a1"].holds if h.reason == "budget")
        assert budget_hold.ended is not None and budget_hold.ended_by == "ctl:bo@box"
        assert budget_hold.started <= budget_hold.ended and "token budget" in budget_hold.detail

        resumed = await engine.command(Resume(agent_id="a1"))
        assert resumed.status == "applied"
        await until(lambda: engine.agents["a1"].steps > steps, what="steps once nothing holds")
        assert _open_holds(engine, "a1") == {}
        assert [h.reason for h in engine.projection.agents["a1"].holds] == ["budget", "supervisor"]


async def test_a_resume_does_not_lift_a_budgets_hold(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 1}, budget={"tokens_per_agent": 300})
    async with running(engine):
        await until(lambda: _paused_by_budget(engine, "a1", "token budget"), what="a pause")
        result = await engine.command(Resume(agent_id="a1"))
        assert result.status == "refused" and "raise the budget" in (result.reason or "")
        assert engine.agents["a1"].state == AgentState.PAUSED
        assert "budget" in _open_holds(engine, "a1")


async def test_holds_come_back_when_the_run_is_resumed(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 1}, budget={"tokens_per_agent": 10**6})
    run_dir = engine.run_dir
    async with running(engine):
        await until(lambda: engine.agents["a1"].steps >= 1, what="a first step")
        await engine.command(Pause(agent_id="a1", issued_by="ctl:ana@box"))
        await until(lambda: engine.agents["a1"].state == AgentState.PAUSED, what="the pause")

    again = await resume_engine(run_dir, brain_factory=_factory)
    async with running(again):
        assert _open_holds(again, "a1") == {"supervisor": "ctl:ana@box"}
        await until(lambda: again.agents["a1"].state == AgentState.PAUSED, what="held again")
        steps = again.agents["a1"].steps
        raised = await again.command(SetBudget(tokens_per_agent=10**7))
        assert raised.ok and again.agents["a1"].state == AgentState.PAUSED
        assert (await again.command(Resume(agent_id="a1"))).status == "applied"
        await until(lambda: again.agents["a1"].steps > steps, what="steps after the resume")


async def test_attention_holds_a_failing_agent_until_a_person_resumes_it(
    open_engine, sandbox_state
):
    engine = await open_engine(
        lambda *_: ControlledBrain(fail=True),
        agents={"count": 1},
        attention={"error_streak": 2, "hold": True},
    )
    async with running(engine):
        a1 = engine.agents["a1"]
        await until(lambda: a1.state == AgentState.PAUSED, timeout=30, what="held")
        # The hold reaches the projection once its event is committed, just after the state.
        await until(
            lambda: _open_holds(engine, "a1") == {"attention": "attention"},
            timeout=30,
            what="the attention hold in the projection",
        )
        errors = engine.projection.agents["a1"].counters.errors
        assert errors == 2  # held at the streak, not after more failed steps
        assert (await engine.command(Resume(agent_id="a1", issued_by="ctl:ana@box"))).ok
        # It goes on, fails again, and is held again for a new streak.
        await until(
            lambda: (
                [h.ended_by for h in engine.projection.agents["a1"].holds] == ["ctl:ana@box", None]
            ),
            timeout=30,
            what="a second hold after two more failed steps",
        )
        assert engine.projection.agents["a1"].counters.errors == 4

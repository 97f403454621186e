"""Budgets pause an agent (or the whole run) with the reason; raising them resumes it."""

from __future__ import annotations

from engine.brain import Brain, StepContext, StepOutcome
from engine.commands import Pause, SetBudget
from engine.events import AgentState
from engine.limits import SUBMISSIONS_PER_AGENT
from tests.engine.brains import ControlledBrain
from tests.engine.harness import running, until


class SpendingBrain(ControlledBrain):
    """A model stand-in whose every step costs 100 tokens and one cent."""

    async def step(self, ctx: StepContext) -> StepOutcome:
        ctx.usage(60, 40, 0.01, model="stand-in")
        return await super().step(ctx)


def _factory(_name, _direction, _seed):
    return SpendingBrain(hold=0.01)


def _paused_by_budget(engine, agent_id: str, words: str) -> bool:
    agent = engine.agents[agent_id]
    info = engine.projection.agents[agent_id]
    return agent.state == AgentState.PAUSED and words in info.state_reason


async def test_an_agents_token_budget_pauses_it_and_raising_it_resumes_it(
    open_engine, sandbox_state
):
    engine = await open_engine(_factory, agents={"count": 1}, budget={"tokens_per_agent": 300})
    async with running(engine):
        await until(
            lambda: _paused_by_budget(engine, "a1", "token budget is spent"), what="a pause"
        )
        steps = engine.agents["a1"].steps
        assert 3 <= steps <= 4  # it stops at the first step boundary past the limit
        info = engine.projection.agents["a1"]
        assert info.needs_attention and info.attention_reason == "budget"
        result = await engine.command(SetBudget(tokens_per_agent=1000))
        assert result.ok
        await until(lambda: engine.agents["a1"].steps > steps, what="steps after the raise")
        # And the raised limit holds in turn.
        await until(
            lambda: _paused_by_budget(engine, "a1", "token budget is spent"), what="a 2nd pause"
        )
        assert engine.agents["a1"].steps >= 10
        # Spend so far is an event every client sees.
        assert engine.projection.budgets.tokens_used >= 1000
        assert engine.projection.budgets.tokens_per_agent == 1000


async def test_the_runs_cost_budget_pauses_every_agent_until_raised(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 2}, budget={"cost_usd": 0.05})
    async with running(engine):
        await until(
            lambda: all(
                _paused_by_budget(engine, a, "run's cost budget is spent") for a in ("a1", "a2")
            ),
            what="both agents paused by the run's cost budget",
        )
        assert engine.projection.budgets.paused_reason.startswith("the run's cost budget")
        steps = {a: engine.agents[a].steps for a in ("a1", "a2")}
        await engine.command(SetBudget(cost_usd=10.0))
        await until(
            lambda: all(engine.agents[a].steps > steps[a] for a in steps), what="both resumed"
        )
        await until(lambda: engine.projection.budgets.paused_reason == "", what="spend event")


async def test_a_raise_does_not_resume_an_agent_the_supervisor_paused(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 1}, budget={"tokens_per_agent": 10**6})
    async with running(engine):
        await until(lambda: engine.agents["a1"].steps >= 1)
        await engine.command(Pause(agent_id="a1", hard=True))
        await engine.command(SetBudget(tokens_per_agent=10**7))
        assert engine.agents["a1"].state == AgentState.PAUSED


async def test_an_agents_working_time_budget_pauses_it(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 1}, budget={"minutes_per_agent": 0.02})
    async with running(engine):
        await until(
            lambda: _paused_by_budget(engine, "a1", "working-time budget is spent"), what="a pause"
        )
        assert engine.budget_guard.active_seconds["a1"] >= 1.2
        await engine.command(SetBudget(minutes_per_agent=60))
        await until(lambda: engine.agents["a1"].state != AgentState.PAUSED, what="resumed")


async def test_the_runs_token_budget_counts_every_agent(open_engine, sandbox_state):
    engine = await open_engine(_factory, agents={"count": 2}, budget={"tokens": 600})
    async with running(engine):
        await until(
            lambda: all(_paused_by_budget(engine, a, "run's token budget") for a in ("a1", "a2")),
            what="both agents paused by the run's token budget",
        )
        # Together they crossed 600; neither came near an agent's own share of it.
        assert sum(engine.agents[a].steps for a in ("a1", "a2")) <= 9


async def test_the_experiment_budget_pauses_an_agent_that_asks_for_one_more(
    open_engine, sandbox_state
):
    # The offline researcher, real experiments in a real sandbox.
    engine = await open_engine(None, agents={"count": 1}, budget={"experiments_per_agent": 1})
    async with running(engine):
        await until(
            lambda: _paused_by_budget(engine, "a1", "experiment budget is spent"),
            timeout=90,
            what="a pause once it asked for a second experiment",
        )
        assert engine.projection.agents["a1"].counters.experiments == 1
        await engine.command(SetBudget(experiments_per_agent=2))
        await until(
            lambda: engine.projection.agents["a1"].counters.experiments == 2,
            timeout=90,
            what="a second experiment after the raise",
        )


_WEAK = """
import json, numpy as np
json.dump(np.load("/bundle/test.npz")["weak_soft"].tolist(), open("weak.json", "w"))
"""


class Submitter(Brain):
    """Makes the weak labels into predictions, then submits them, one submission a step."""

    name = "submitter"

    def __init__(self) -> None:
        self.setup = [
            ("write_file", {"path": "weak.py", "content": _WEAK}),
            ("run_command", {"command": "python weak.py"}),
        ]

    async def step(self, ctx: StepContext) -> StepOutcome:
        if self.setup:
            await ctx.tools.call(*self.setup.pop(0))
        else:
            await ctx.tools.call("submit", {"path": "weak.json", "method": "the weak labels"})
        return StepOutcome(progress=True)


async def test_an_agents_submission_budget_holds_it_after_its_last_submission(
    open_engine, sandbox_state
):
    engine = await open_engine(
        lambda *_: Submitter(), agents={"count": 1}, budget={"submissions_per_agent": 2}
    )
    async with running(engine):
        await until(
            lambda: _paused_by_budget(engine, "a1", "submission budget is spent (2 of 2)"),
            timeout=60,
            what="a hold after two submissions",
        )
        assert engine.projection.agents["a1"].counters.submissions == 2
        await engine.command(SetBudget(submissions_per_agent=3))
        await until(
            lambda: _paused_by_budget(engine, "a1", "submission budget is spent (3 of 3)"),
            timeout=60,
            what="one more submission after the raise, and a hold",
        )
        assert engine.projection.agents["a1"].counters.submissions == 3
        assert engine.projection.budgets.limit(SUBMISSIONS_PER_AGENT) == 3

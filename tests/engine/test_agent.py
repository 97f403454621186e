"""The agent runtime: failures become events and attention, never a crash of the run."""

from __future__ import annotations

import asyncio

from engine.brain import Brain, StepContext, StepOutcome
from engine.events import AgentState
from tests.engine.brains import ControlledBrain
from tests.engine.harness import running, until


async def test_an_error_streak_raises_needs_attention_and_the_run_goes_on(open_engine):
    def make(_n, direction, _s):
        return ControlledBrain(fail=direction == "bad")

    engine = await open_engine(
        make, agents={"count": 2, "directions": ["bad", "good"]}, attention={"error_streak": 2}
    )
    async with running(engine):
        bad, good = engine.agents["a1"], engine.agents["a2"]
        await until(lambda: bad.attention == "error_streak", what="attention")
        assert bad.state in (AgentState.WAITING, AgentState.RUNNING)
        assert good.state == AgentState.RUNNING and not good.attention
        await engine.events.flush()
        snap = await engine.view().snapshot()
        info = {a.id: a for a in snap.agents}
        assert info["a1"].needs_attention and info["a1"].counters.errors >= 2


async def test_no_progress_for_a_while_raises_stuck(open_engine):
    engine = await open_engine(
        lambda *_: ControlledBrain(progress=False),
        agents={"count": 1},
        attention={"stuck_minutes": 0.003},
    )
    async with running(engine):
        await until(lambda: engine.agents["a1"].attention == "stuck", what="stuck")


async def test_a_budget_near_its_end_raises_attention(open_engine):
    class Spender(Brain):
        async def step(self, ctx: StepContext) -> StepOutcome:
            ctx.usage(50, 50, 0.01)
            await asyncio.sleep(0.05)
            return StepOutcome()

    engine = await open_engine(
        lambda *_: Spender(), agents={"count": 1}, budget={"tokens_per_agent": 1000}
    )
    async with running(engine):
        # Read from the log: once the budget is spent, "budget" (it pauses) replaces the flag.
        seen: list[str] = []

        async def flagged() -> bool:
            events = await engine.events.read(0, kinds=["agent_attention"])
            seen[:] = [e.payload.reason for e in events]
            return "budget_near" in seen

        deadline = asyncio.get_running_loop().time() + 15
        while not await flagged():
            assert asyncio.get_running_loop().time() < deadline, f"no budget_near in {seen}"
            await asyncio.sleep(0.05)


async def test_an_agent_whose_sandbox_cannot_start_fails_alone(open_engine):
    engine = await open_engine(lambda *_: ControlledBrain(), agents={"count": 2})
    real = engine.swarm.make_sandbox

    async def broken(agent_id: str):
        if agent_id == "a1":
            raise RuntimeError("no sandbox for you")
        return await real(agent_id)

    engine.swarm.make_sandbox = broken
    async with running(engine):
        await until(lambda: engine.agents["a1"].state == AgentState.FAILED)
        await until(lambda: engine.agents["a2"].state == AgentState.RUNNING)
        await engine.events.flush()
        errors = [e for e in await engine.events.read(0, limit=5000) if e.kind == "error"]
        assert any(e.agent_id == "a1" and e.payload.fatal for e in errors)


async def test_a_brain_that_finishes_ends_as_finished(open_engine):
    class OneStep(Brain):
        async def step(self, ctx: StepContext) -> StepOutcome:
            return StepOutcome(done=True)

    engine = await open_engine(lambda *_: OneStep(), agents={"count": 1})
    await asyncio.wait_for(engine.run(), 20)  # every agent ended: the run ends by itself
    assert engine.agents["a1"].state == AgentState.FINISHED
    await engine.close()


async def test_gpus_and_docker_hosts_are_handed_out_round_robin(open_engine):
    engine = await open_engine(
        agents={"count": 3},
        sandbox={"gpus": ["0", "1"], "docker_hosts": ["ssh://h1", "tcp://h2:2375"]},
    )
    specs = [engine.sandboxes.spec(f"a{i}") for i in (1, 2, 3)]
    assert [s.gpus for s in specs] == [("0",), ("1",), ("0",)]
    assert [s.docker_host for s in specs] == ["ssh://h1", "tcp://h2:2375", "ssh://h1"]
    assert all(s.mounts["/bundle"] == engine.task.bundle_dir and not s.network for s in specs)
    assert all(dict(s.env) == {} for s in specs)  # nothing of the engine's environment
    await engine.close()


async def test_a_step_that_hangs_shows_as_stuck_while_it_hangs(open_engine):
    engine = await open_engine(
        lambda *_: ControlledBrain(hold=3600),
        agents={"count": 1},
        attention={"stuck_minutes": 0.005},
    )
    engine.swarm.stats_every = 0.1
    async with running(engine):
        await until(lambda: engine.agents["a1"].attention == "stuck", what="stuck mid-step")
        assert engine.agents["a1"]._step_task is not None  # still inside the same step
        await engine.events.flush()
        stats = [e for e in await engine.events.read(0, limit=5000) if e.kind == "sandbox_stats"]
        assert stats and stats[0].agent_id == "a1"

"""Every supervisor command, applied to a real engine with real local sandboxes."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from engine.commands import (
    Broadcast,
    FinishRun,
    Pause,
    PauseAll,
    Redirect,
    Resume,
    ResumeAll,
    RevealPrivate,
    SetBudget,
    Spawn,
    Stop,
    VoidSubmission,
)
from engine.events import AgentState
from tests.engine.brains import ControlledBrain
from tests.engine.harness import running, until


def _factory(brains: dict[str, ControlledBrain], **kw):
    def make(_name, direction, _seed):
        brain = ControlledBrain(**kw)
        brains[direction] = brain
        return brain

    return make


async def _engine(open_engine, brains, count=2, **kw):
    return await open_engine(
        _factory(brains, **kw),
        agents={"count": count, "directions": [f"d{i}" for i in range(count)]},
    )


def _n_test(engine) -> int:
    return json.loads((engine.task.bundle_dir / "manifest.json").read_text())["rows"]["test"]


async def test_soft_pause_shows_pausing_at_once_then_pauses_at_the_step_boundary(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains, hold=30)
    async with running(engine):
        agent = engine.agents["a1"]
        await until(lambda: agent.state == AgentState.RUNNING)
        result = await engine.command(Pause(agent_id="a1"))
        assert result.status == "pending"
        assert agent.state == AgentState.PAUSING
        brains["d0"].release.set()
        await until(lambda: agent.state == AgentState.PAUSED)
        steps = brains["d0"].steps
        await asyncio.sleep(0.3)
        assert brains["d0"].steps == steps  # a paused agent takes no step
        assert (await engine.command(Resume(agent_id="a1"))).status == "applied"
        await until(lambda: brains["d0"].steps > steps)


async def test_hard_pause_cancels_the_call_in_flight_and_freezes_the_sandbox(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains, hold=30)
    async with running(engine):
        agent = engine.agents["a1"]
        await until(lambda: agent.state == AgentState.RUNNING and agent._step_task is not None)
        await asyncio.sleep(0.1)
        result = await engine.command(Pause(agent_id="a1", hard=True))
        assert result.status == "applied"
        assert agent.state == AgentState.PAUSED
        await until(lambda: brains["d0"].cancelled == 1)
        assert await agent.sandbox.status() == "paused"
        await engine.command(Resume(agent_id="a1"))
        assert await agent.sandbox.status() != "paused"
        assert agent.state == AgentState.RUNNING


async def test_stop_ends_one_agent_and_leaves_the_others(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains, hold=30)
    async with running(engine):
        assert (await engine.command(Stop(agent_id="a1"))).status == "pending"
        await until(lambda: engine.agents["a1"].state == AgentState.STOPPED)
        assert engine.agents["a2"].state == AgentState.RUNNING
        again = await engine.command(Stop(agent_id="a1"))
        assert again.status == "refused" and "stopped" in again.reason


async def test_redirect_reaches_the_brain_at_its_next_step_and_is_recorded(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains)
    async with running(engine):
        result = await engine.command(
            Redirect(agent_id="a2", text="focus on logconf", issued_by="ctl")
        )
        assert result.status == "pending" and result.command_id > 0
        await until(lambda: "focus on logconf" in brains["d1"].inbox)
        assert "focus on logconf" not in brains["d0"].inbox
        await engine.events.flush()
        commands = [e for e in await engine.events.read(0, limit=10_000) if e.kind == "command"]
        assert commands[-1].payload.issued_by == "ctl" and commands[-1].agent_id == "a2"


async def test_spawn_adds_a_running_agent_with_its_direction(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains, count=1)
    async with running(engine):
        result = await engine.command(Spawn(direction="try ensembles"))
        assert result.status == "applied" and "a2" in result.reason
        await until(lambda: engine.agents["a2"].state == AgentState.RUNNING)
        assert engine.agents["a2"].direction == "try ensembles"


async def test_broadcast_posts_on_the_forum_and_reaches_every_agent(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains)
    async with running(engine):
        await engine.command(Broadcast(text="everyone: try small learning rates"))
        posts = await engine.forum.list(author="supervisor")
        assert posts and posts[0].body == "everyone: try small learning rates"
        await until(lambda: all(b.inbox for b in brains.values()))


async def test_pause_all_and_resume_all(open_engine):
    brains: dict[str, ControlledBrain] = {}
    engine = await _engine(open_engine, brains)
    async with running(engine):
        assert (await engine.command(PauseAll(hard=True))).status == "applied"
        assert all(a.state == AgentState.PAUSED for a in engine.agents.values())
        assert (await engine.command(ResumeAll())).status == "applied"
        assert all(a.state == AgentState.RUNNING for a in engine.agents.values())


async def test_unknown_agent_is_refused_with_the_known_ones(open_engine):
    engine = await _engine(open_engine, {})
    async with running(engine):
        result = await engine.command(Pause(agent_id="a9"))
        assert result.status == "refused" and "a1" in result.reason


async def test_set_budget_moves_the_deadline_and_the_rate_limit(open_engine):
    engine = await _engine(open_engine, {})
    async with running(engine, minutes=5):
        result = await engine.command(SetBudget(minutes=10, submissions_per_hour=2))
        assert result.status == "applied"
        assert abs(engine.deadline - engine.started_at - 600) < 1
        assert engine.scorer.config.submissions_per_hour == 2
        await engine.events.flush()
        snap = await engine.view().snapshot()
        assert snap.budgets.submissions_per_hour == 2 and snap.budgets.minutes == 10
        assert (await engine.command(SetBudget())).status == "refused"


async def test_private_scores_stay_hidden_until_revealed_and_void_unranks(open_engine):
    engine = await _engine(open_engine, {}, count=1)
    view = engine.view()
    async with running(engine):
        n = _n_test(engine)
        preds = np.random.default_rng(0).random(n).round(4).tolist()
        out = await engine.scorer.submit("a1", json.dumps(preds).encode(), method="random")
        await engine.events.flush()
        snap = await view.snapshot()
        assert snap.leaderboard[0].private is None and snap.leaderboard[0].rank == 1
        log = [e.model_dump_json() for e in await engine.events.read(0, limit=10_000)]
        assert not any('"private"' in line for line in log)
        assert "private" not in json.dumps(snap.model_dump(mode="json")["leaderboard"][0]).replace(
            '"private": null', ""
        )
        assert (await view.command(RevealPrivate())).status == "applied"
        assert (await view.command(RevealPrivate())).status == "refused"
        await engine.events.flush()
        entry = (await view.leaderboard())[0]
        assert entry.private is not None and entry.private.n > 0
        voided = await view.command(VoidSubmission(submission_id=out.submission_id, reason="leak"))
        assert voided.status == "applied"
        await engine.events.flush()
        entry = (await view.leaderboard())[0]
        assert entry.voided and entry.rank is None
        missing = await view.command(VoidSubmission(submission_id=999, reason="x"))
        assert missing.status == "refused"


async def test_finish_run_stops_every_agent_and_ends_the_run(open_engine):
    engine = await _engine(open_engine, {}, hold=30)
    task = asyncio.create_task(engine.run())
    await until(
        lambda: engine.agents and all(a.state == AgentState.RUNNING for a in engine.agents.values())
    )
    assert (await engine.command(FinishRun())).status == "pending"
    await asyncio.wait_for(task, 20)
    assert all(a.state == AgentState.STOPPED for a in engine.agents.values())
    snap = await engine.view().snapshot()
    assert snap.run.state.value == "finished"
    await engine.close()

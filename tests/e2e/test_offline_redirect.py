"""The offline researcher obeys a redirect in plain words, and says what it understood."""

from __future__ import annotations

import pytest

from engine.commands import Redirect
from tests.engine.harness import running, until

pytestmark = pytest.mark.slow


async def test_a_redirect_narrows_the_search_and_is_answered(open_engine):
    engine = await open_engine(agents={"count": 1, "directions": ["self-training"]})
    seen: list = []
    engine.events.on_commit.append(seen.extend)

    def said() -> str:
        return "".join(e.payload.text for e in seen if e.kind == "text_delta")

    async with running(engine):
        await until(lambda: engine.projection.agents["a1"].counters.experiments >= 1, 60)
        result = await engine.command(
            Redirect(agent_id="a1", text="focus on product with small learning rates, and dance")
        )
        assert result.status == "pending"
        await until(lambda: "Understood:" in said(), 60, "the reply")
        mark = len(seen)
        await until(
            lambda: sum(e.kind == "experiment_finished" for e in seen[mark:]) >= 2, 90, "runs"
        )
    assert "Understood: loss=product" in said() and "Not understood: dance" in said()
    started = [e.payload.config for e in seen[mark:] if e.kind == "experiment_started"]
    for config in started:
        assert config["loss"] == "product" and config["lr"] <= 2e-3, config


async def test_a_hard_pause_mid_experiment_loses_nothing(open_engine):
    from engine.commands import Pause, Resume
    from engine.events import AgentState

    engine = await open_engine(agents={"count": 1})
    seen: list = []
    engine.events.on_commit.append(seen.extend)
    async with running(engine):
        await until(lambda: any(e.kind == "experiment_started" for e in seen), 60, "a start")
        assert (await engine.command(Pause(agent_id="a1", hard=True))).status == "applied"
        assert engine.agents["a1"].state == AgentState.PAUSED
        # The cut-short experiment is forgotten, so nobody is told it ran.
        await until(lambda: not engine.registry._running, 10, "the registry to settle")
        assert all(r.status != "running" for r in await engine.registry.list())
        await engine.command(Resume(agent_id="a1"))
        await until(lambda: any(e.kind == "experiment_finished" for e in seen), 90, "a finish")
    finished = [e.payload for e in seen if e.kind == "experiment_finished"]
    assert finished[0].ok

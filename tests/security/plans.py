"""Attacks through an agent's real tools: a real engine, real local sandboxes, the real runner.

`PlanBrain` is a scripted agent whose one step is a plan the test writes (an attack, or an
honest method); `attack` opens an engine with one such agent per plan and runs it. A test
module imports the fixtures it uses: `from tests.security.plans import attack, plan_engine,
plan_toy`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from engine.brain import Brain, StepContext, StepOutcome
from engine.tools.tool import ToolResult
from tests.engine.conftest import prepared_task
from tests.engine.harness import running

Plan = Callable[["PlanBrain", StepContext], Awaitable[None]]

# A toy experiment that trains in about a second.
QUICK = {"loss": "logconf", "epochs": 1}


class PlanBrain(Brain):
    """Runs its plan once through the agent's tools, keeping every result, then idles (the
    run goes on, so that the test can give commands) until the run ends."""

    name = "scripted"

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.results: dict[str, ToolResult] = {}
        self.ctx: StepContext | None = None
        self.finished = asyncio.Event()

    async def call(self, label: str, tool: str, args: dict[str, Any]) -> ToolResult:
        assert self.ctx is not None
        result = await self.ctx.tools.call(tool, args)
        self.results[label] = result
        return result

    async def sh(self, label: str, command: str, timeout: float = 120) -> ToolResult:
        return await self.call(label, "run_command", {"command": command, "timeout": timeout})

    async def step(self, ctx: StepContext) -> StepOutcome:
        if self.finished.is_set():
            await asyncio.sleep(0.05)
            return StepOutcome(progress=True, idle=True)
        self.ctx = ctx
        try:
            await self.plan(self, ctx)
        finally:
            self.finished.set()
        return StepOutcome(progress=True)


@pytest.fixture(scope="session")
def plan_toy(tmp_path_factory):
    """The toy task, prepared once for the session's attacks."""
    from w2s.prepare import prepare

    return prepare("toy", tmp_path_factory.mktemp("toy-plans"))


@pytest.fixture
def plan_engine(tmp_path, plan_toy):
    """Open a real engine (real store, local sandboxes, real runner) with the given brains."""
    from engine.config import load
    from engine.runtime import Engine

    async def _open(brain_factory, **overrides):
        overrides.setdefault("run_dir", str(tmp_path / "run"))
        return await Engine.open(
            load(None, overrides),
            brain_factory=brain_factory,
            prepare=lambda _c, _d: prepared_task(plan_toy),
        )

    return _open


@pytest.fixture
async def attack(plan_engine):
    """Open a run with one agent per plan (a1, a2, ... in order) and wait for every plan.

    Returns the engine (still running, so that commands work) and the brains by agent id.
    """
    runs = []

    async def _attack(*plans: Plan, **overrides: Any):
        brains = [PlanBrain(plan) for plan in plans]
        directions = [f"plan {i}" for i in range(1, len(plans) + 1)]
        overrides.setdefault("agents", {"count": len(plans), "directions": directions})
        engine = await plan_engine(
            lambda _name, direction, _seed: brains[int(direction.split()[1]) - 1], **overrides
        )
        run = running(engine)
        await run.__aenter__()
        runs.append(run)
        for brain in brains:
            async with asyncio.timeout(600):
                await brain.finished.wait()
        return engine, {f"a{i}": b for i, b in enumerate(brains, 1)}

    yield _attack
    for run in runs:
        await run.__aexit__(None, None, None)


async def verdict(engine, submission_id: int, timeout: float = 600) -> tuple[Any, Any]:
    """Ask the engine to reproduce a submission; wait for the verdict's event.

    Returns the verdict (`Reproduced`) and the submission's leaderboard entry (None for one
    that is not on the leaderboard)."""
    from engine.commands import Reproduce

    result = await engine.command(Reproduce(submission_id=submission_id))
    assert result.status == "pending", result.reason
    found: list[Any] = []

    async def settled() -> bool:
        await engine.events.flush()
        for e in await engine.events.read(0, limit=100_000):
            p = e.payload
            ours = p.kind == "reproduction" and p.submission_id == submission_id
            if ours and p.reproduced.status != "running":
                found.append(p.reproduced)
        return bool(found)

    async with asyncio.timeout(timeout):
        while not await settled():
            await asyncio.sleep(0.2)
    return found[-1], engine.projection.entries.get(submission_id)

"""Run a real engine in the background of a test and wait for conditions on it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from engine.events import AgentState


async def until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running(engine, minutes: float | None = None) -> AsyncIterator[object]:
    task = asyncio.create_task(engine.run(minutes))
    try:
        await until(
            lambda: (
                engine.agents
                and all(a.state != AgentState.STARTING for a in engine.agents.values())
            ),
            what="agents to start",
        )
        yield task
    finally:
        engine.finish("the test is over")
        await asyncio.wait_for(task, 30)
        await engine.close()

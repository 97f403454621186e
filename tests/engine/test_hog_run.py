"""The engine stays responsive while an agent's sandbox runs at every limit at once."""

from __future__ import annotations

import asyncio
import time

from tests.engine.brains import ToolScript
from tests.engine.harness import running, until

HOG = """
import os, time
def busy():
    while True:
        pass
def forks():
    while True:
        try:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        except OSError:
            time.sleep(0.01)
def memory():
    hoard = []
    while True:
        hoard.append(b'x' * (16 << 20))
for work in (busy, busy, busy, memory):
    if os.fork() == 0:
        work()
forks()
"""
PROMPT_S = 2.0  # generous: the machine running the suite may be loaded


async def test_a_view_answers_promptly_while_a_sandbox_hogs_memory_cpu_and_processes(
    open_engine,
):
    calls = [
        ("write_file", {"path": "hog.py", "content": HOG}),
        ("run_command", {"command": "python hog.py", "timeout": 60}),
    ]
    engine = await open_engine(
        lambda *_: ToolScript(calls),
        agents={"count": 1},
        sandbox={"memory_mb": 256, "cpus": 0.5, "pids": 64},
    )
    async with running(engine):
        agent = engine.agents["a1"]
        await until(lambda: agent.sandbox is not None, 60, "the sandbox")

        # The hog is in flight once its processes fill the sandbox's process limit.
        async def at_limit() -> bool:
            stats = await agent.sandbox.stats()
            return (stats.pids or 0) >= 32

        deadline = time.monotonic() + 60
        while not await at_limit():
            assert time.monotonic() < deadline, "the hog never reached its limits"
            await asyncio.sleep(0.1)
        view = engine.view()
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            snapshot = await view.snapshot()
            await asyncio.sleep(0.05)
            slowest = max(slowest, time.monotonic() - started - 0.05)
            assert [a.id for a in snapshot.agents] == ["a1"]
        assert slowest < PROMPT_S, f"the slowest answer took {slowest:.2f}s"
        assert await at_limit(), "the hog should still be running"

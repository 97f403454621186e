"""Bench resuming a run: how long `--resume` takes to rebuild a run of many events.

Builds a real store with N events on a prepared toy-v1 task (three agents streaming text,
tool calls and results, one call left in flight), then times
`engine.resume.resume_engine`: open and migrate the store, replay the log into the
snapshot, answer the cut-off call, restore the agents. Prints events per second of replay
for a few sizes.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

# The repository first: this folder's sandbox.py would hide the sandbox package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.config import load
from engine.eventlog import EventLog
from engine.events import (
    AgentAddedPayload,
    RunState,
    RunStatePayload,
    TextDeltaPayload,
    ToolCallPayload,
    ToolResultPayload,
)
from engine.run.task import prepare_task
from engine.store import Store

SIZES = (10_000, 100_000)


async def build(run_dir: Path, n: int) -> None:
    store = await Store.open(run_dir / "store.sqlite")
    config = load(None, {"run_dir": str(run_dir), "task": "toy-v1"})
    # A real prepared task: a resume checks its bundle and hidden labels, as a run's would.
    task = await asyncio.to_thread(prepare_task, config, run_dir)
    async with store.write() as db:
        await db.execute(
            "INSERT INTO runs VALUES ('bench', 'bench', ?, ?)", (config.model_dump_json(), 0.0)
        )
        await db.execute("INSERT INTO meta VALUES ('task', ?)", (task.to_json(),))
    log = EventLog(store)
    await log.start()
    log.append(None, RunStatePayload(state=RunState.RUNNING, reason="started"))
    agents = ("a1", "a2", "a3")
    for a in agents:
        log.append(a, AgentAddedPayload(direction="d", brain="offline", sandbox_backend="local"))
    i = 0
    while i < n:
        a = agents[i % 3]
        step = i // 30
        log.append(a, TextDeltaPayload(text="thinking about the next config " * 3, step=step))
        log.append(
            a,
            ToolCallPayload(
                call_id=f"c{i}", tool="run_command", input={"command": "ls"}, step=step
            ),
        )
        log.append(
            a,
            ToolResultPayload(
                call_id=f"c{i}", tool="run_command", ok=True, output="cfg.json\npreds.json"
            ),
        )
        i += 3
    log.append("a1", ToolCallPayload(call_id="cut", tool="run_command", input={"command": "x"}))
    await log.close()
    await store.close()


async def one(n: int) -> tuple[float, int]:
    from engine.resume import resume_engine

    with tempfile.TemporaryDirectory(prefix="aar-bench-resume-") as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        os.environ["AAR_SANDBOX_STATE_DIR"] = str(Path(tmp) / "sandboxes")
        await build(run_dir, n)
        started = time.perf_counter()
        engine = await resume_engine(run_dir, brain_factory=lambda *_: None)  # type: ignore[arg-type]
        took = time.perf_counter() - started
        restored = len(engine.swarm.restored)
        await engine.close()
        return took, restored


def main() -> None:
    print(f"{'events':>8}  {'resume s':>8}  {'events/s':>10}  agents")
    for n in SIZES:
        took, restored = asyncio.run(one(n))
        print(f"{n:>8}  {took:8.2f}  {n / took:10,.0f}  {restored}")


if __name__ == "__main__":
    main()

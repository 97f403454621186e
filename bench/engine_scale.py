"""Scale: many agents with a scripted brain and real local sandboxes in one engine process.

    python bench/engine_scale.py [--agents 64] [--seconds 30]

Prints the engine's memory per agent (resident set growth over the run's start, divided by
the agents), step latency (each step writes and reads a file in the sandbox, runs a
command every third step, posts every fifth), steps and events per second, and how long
the agents took to start.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# bench/ leads sys.path when a script runs from it, and bench/sandbox.py would shadow the
# sandbox package that the engine imports: put the repository first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.brain import StepContext, StepOutcome
from engine.brains.scripted import ScriptedBrain
from engine.config import load
from engine.events import AgentState
from engine.runtime import Engine

LATENCIES: list[float] = []


class TimedScriptedBrain(ScriptedBrain):
    async def step(self, ctx: StepContext) -> StepOutcome:
        start = time.perf_counter()
        outcome = await super().step(ctx)
        LATENCIES.append(time.perf_counter() - start)
        return outcome


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = load(
            None,
            {
                "run_dir": str(Path(tmp) / "run"),
                "agents": {"count": args.agents, "brain": "scripted"},
                "scoring": {"submissions_per_hour": 0},
            },
        )
        engine = await Engine.open(config, brain_factory=lambda *_: TimedScriptedBrain())
        before = rss_bytes()
        started = time.perf_counter()
        run = asyncio.create_task(engine.run(args.seconds / 60))
        while len(engine.agents) < args.agents or any(
            a.state == AgentState.STARTING for a in engine.agents.values()
        ):
            await asyncio.sleep(0.05)
        startup = time.perf_counter() - started
        await asyncio.sleep(1.0)
        during = rss_bytes()
        seq_start, t0 = engine.events.committed_seq, time.perf_counter()
        steps_start = len(LATENCIES)
        await run
        after = rss_bytes()
        elapsed = time.perf_counter() - t0
        events = engine.events.committed_seq - seq_start
        steps = len(LATENCIES) - steps_start
        await engine.close()
    lat = sorted(LATENCIES)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    print(f"agents: {args.agents}, run: {args.seconds:.0f}s, scripted brain, local sandboxes")
    print(f"  all agents running after      {startup:8.2f} s")
    print(
        f"  engine memory per agent       {(during - before) / args.agents / 1e6:8.2f} MB"
        f" at start, {(after - before) / args.agents / 1e6:.2f} MB at the end"
    )
    print(f"  engine resident memory        {after / 1e6:8.0f} MB in all")
    print(f"  steps per second (all agents) {steps / elapsed:8.1f}")
    print(f"  events per second             {events / elapsed:8.0f}")
    print(
        f"  step latency p50 / p95 / max  {p(0.5):8.1f} / {p(0.95):.1f} / {lat[-1] * 1000:.1f} ms"
    )
    print(f"  step latency mean             {statistics.mean(lat) * 1000:8.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())

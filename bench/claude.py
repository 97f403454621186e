"""Figures of the Claude brain against the scripted Messages API on loopback.

    python bench/claude.py [--calls 60] [--agents 50]

Prints, each beside its target:
- the engine's overhead per model call: the time between two calls of one agent, less
  the server's own time and the tool's run time (SDK, brain, events, conversation);
- the share of input tokens read from the prompt cache over a 20-turn episode, and what
  caching saves in dollars at the default model's prices;
- `--agents` agents calling through the run-wide limit on calls in flight: the most in
  flight at once, and the longest any agent waited between two of its calls (a stall).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.brains.claude import ClaudeBrain, ClaudeSettings  # noqa: E402
from engine.brains.claude.limiter import CallLimiter  # noqa: E402
from engine.brains.claude.models import DEFAULT_MODEL, CallUsage, cost_usd  # noqa: E402
from engine.brains.claude.transport import make_client  # noqa: E402
from tests.services.messages_api import API_KEY, MessagesAPI, Reply, text, tool  # noqa: E402


def _line(name: str, value: str, target: str, ok: bool | None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"  {name:52} {value:>12}   target {target:10} {mark}")


async def _swarm(
    api: MessagesAPI, task: Any, tmp: Path, agents: int, limiter: CallLimiter, until: Any
) -> Any:
    """Run `agents` Claude agents on the scripted API until `until(brains)` holds."""
    from engine.config import load
    from engine.runtime import Engine

    settings = ClaudeSettings(max_tokens=1024)
    client = make_client(base_url=api.url, api_key=API_KEY, timeout=60)
    brains: list[ClaudeBrain] = []

    def brain(_n: str, direction: str, _s: int) -> ClaudeBrain:
        brains.append(
            ClaudeBrain(direction=direction, settings=settings, client=client, limiter=limiter)
        )
        return brains[-1]

    config = load(
        None,
        {
            "agents": {"count": agents, "brain": "claude"},
            "run_dir": str(tmp / f"run{time.monotonic_ns()}"),
        },
    )
    engine = await Engine.open(config, brain_factory=brain, prepare=lambda _c, _d: task)
    runner = asyncio.create_task(engine.run())
    while not (len(brains) == agents and until(brains)):
        await asyncio.sleep(0.02)
    engine.finish("the bench is done")
    await runner
    await engine.events.flush()
    tool_seconds = [
        e.payload.duration for e in await engine.events.read(0, limit=10**6, kinds=["tool_result"])
    ]
    await engine.close()
    return brains, tool_seconds


async def overhead(task: Any, tmp: Path, calls: int) -> None:
    api = MessagesAPI(
        responder=lambda _b: Reply([text("Checking the board."), tool("leaderboard", {})])
    ).start()
    try:
        _, tools = await _swarm(api, task, tmp, 1, CallLimiter(8), lambda b: b[0].calls >= calls)
    finally:
        api.stop()
    reqs = api.requests[:calls]
    gaps = [b.ts - a.done for a, b in itertools.pairwise(reqs)]
    own = [g - t for g, t in zip(gaps, tools, strict=False)]
    served = statistics.median(r.done - r.ts for r in reqs)
    ms = statistics.median(own) * 1000
    _line("engine overhead per model call, median (ms)", f"{ms:.1f}", "< 20", ms < 20)
    _line("  best case (ms)", f"{min(own) * 1000:.1f}", "", None)
    _line("  the server's own time per call, median (ms)", f"{served * 1000:.1f}", "", None)


async def caching(task: Any, tmp: Path) -> None:
    body = "x = 1\n" * 300

    def researcher(b: dict) -> Reply:
        n = sum(1 for m in b["messages"] if m["role"] == "assistant")
        return Reply(
            [
                text(f"Turn {n}: writing and reading a file."),
                tool("write_file", {"path": f"f{n}.py", "content": body}),
            ]
        )

    api = MessagesAPI(responder=researcher).start()
    try:
        _brains, _ = await _swarm(api, task, tmp, 1, CallLimiter(8), lambda b: b[0].calls >= 20)
    finally:
        api.stop()
    total = CallUsage()
    for r in api.requests[:20]:
        u = r.usage
        total = total + CallUsage(
            u["input_tokens"], 0, u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
        )
    share = total.cache_read_tokens / total.prompt_tokens
    plain = cost_usd(DEFAULT_MODEL, CallUsage(input_tokens=total.prompt_tokens))
    cached = cost_usd(DEFAULT_MODEL, total)
    _line("input tokens read from the cache, 20 turns (%)", f"{share:.1%}", "> 70%", share > 0.7)
    _line(
        f"  input cost with / without caching ({DEFAULT_MODEL}, $)",
        f"{cached:.3f}/{plain:.3f}",
        "",
        None,
    )
    _line("  input cost saved by caching (%)", f"{1 - cached / plain:.1%}", "", None)


async def crowd(task: Any, tmp: Path, agents: int) -> None:
    api = MessagesAPI(
        responder=lambda _b: Reply([text("next"), tool("leaderboard", {})], delay=0.01)
    ).start()
    limiter = CallLimiter(ClaudeSettings().max_in_flight)
    started = time.monotonic()
    try:
        await _swarm(api, task, tmp, agents, limiter, lambda b: all(x.calls >= 5 for x in b))
    finally:
        api.stop()
    wall = time.monotonic() - started
    per_agent: dict[str, list[float]] = {}
    for r in api.requests:
        who = r.body["messages"][0]["content"][0]["text"]
        per_agent.setdefault(who, []).append(r.ts)
    longest = max(
        (b - a for ts in per_agent.values() for a, b in itertools.pairwise(ts)),
        default=0.0,
    )
    _line(
        f"{agents} agents: most calls in flight (limit {limiter.limit})",
        str(api.peak_in_flight),
        f"<= {limiter.limit}",
        api.peak_in_flight <= limiter.limit,
    )
    _line(
        f"{agents} agents: longest wait between two calls (s)",
        f"{longest:.2f}",
        "< 10",
        longest < 10,
    )
    _line(f"{agents} agents x 5 calls, wall (s)", f"{wall:.1f}", "", None)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--agents", type=int, default=50)
    args = parser.parse_args()
    from engine.run.task import PreparedTask
    from w2s.prepare import prepare

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        p = prepare("toy", tmp / "task")
        task = PreparedTask(
            p.task_id,
            Path(p.bundle_dir),
            Path(p.hidden_dir),
            {"weak_public": p.baselines["weak"]["public"]},
            {},
        )
        print("claude brain, scripted API on loopback")
        await overhead(task, tmp, args.calls)
        await caching(task, tmp)
        await crowd(task, tmp, args.agents)


if __name__ == "__main__":
    asyncio.run(main())

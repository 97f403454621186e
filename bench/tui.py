"""Figures of the supervisor app under load: frames, lag from event to screen, memory.

    python bench/tui.py [--agents 32] [--rates 1600,10000,20000] [--seconds 20]
                        [--burst 50000] [--size 120x40] [--transcript 100000]

Drives the app headless on an in-memory view fed with a synthetic stream (model text
deltas, command output, tool calls and results, state changes) and prints, per offered
rate: events absorbed per second, frames per second (batches applied and redrawn), the
lag from an event's creation to the end of the redraw that shows it (p50, p99; target
under 100 ms at p99 for 10k events/s) and the process's memory. Then one burst of
`--burst` events at once: how long until all are on screen. Last, the agent screen on a
transcript of `--transcript` events beside one of a hundredth as many (bench/transcript.py).
The full run of the specification is `--rates 1600 --seconds 600` (32 agents x 50
events/s for 10 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from array import array
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aar_tui.app import AarApp  # noqa: E402
from engine.events import (  # noqa: E402
    AgentStatePayload,
    CommandOutputPayload,
    Event,
    TextDeltaPayload,
    ToolCallPayload,
    ToolResultPayload,
)
from tests.tui.fake_view import FakeView, snapshot  # noqa: E402

TICK = 0.005  # the producer's step: events are created in small chunks, as an engine would


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def payloads() -> list[Any]:
    """A mix like a busy swarm's: mostly streamed text and command output."""
    text = [
        TextDeltaPayload(text=w)
        for w in (
            "The weak labels ",
            "disagree with ",
            "the student on ",
            "12% of rows; ",
            "try logconf\n",
            "with lr 1e-3. ",
            "Submitting now.\n",
        )
    ]
    out = [
        CommandOutputPayload(call_id="c", stream="stdout", line=f"epoch {i} loss 0.{i}1")
        for i in range(5)
    ]
    call = ToolCallPayload(call_id="c", tool="run_command", input={"cmd": "python train.py"})
    result = ToolResultPayload(call_id="c", tool="run_command", ok=True, output="", duration=1)
    states = [AgentStatePayload(state="waiting"), AgentStatePayload(state="running")]  # type: ignore[arg-type]
    return [*text * 10, *out * 4, call, result, *states]


class Probe:
    """Collects, per frame, the lag of every event it showed."""

    def __init__(self) -> None:
        # A compact array: ten minutes at 1,600 events/s is a million lags, 8 MiB here.
        self.lags = array("d")
        self.frames = 0
        self.events = 0

    def __call__(self, batch: list[Event]) -> None:
        now = time.time()
        self.frames += 1
        self.events += len(batch)
        self.lags.extend(now - e.ts for e in batch)

    def reset(self) -> None:
        self.lags, self.frames, self.events = array("d"), 0, 0


def quantile(values: array, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def produce(
    view: FakeView, agents: list[str], rate: float, seconds: float, memory: list[float]
) -> int:
    """Emit at `rate` for `seconds`; note the memory ten times along the way."""
    mix = itertools.cycle(payloads())
    who = itertools.cycle(agents)
    sent = 0
    start = time.perf_counter()
    next_note = 0.0
    while (elapsed := time.perf_counter() - start) < seconds:
        if elapsed >= next_note:
            memory.append(rss_mib())
            next_note += seconds / 10
        due = int(rate * elapsed) - sent
        now = time.time()
        for _ in range(due):
            view.emit_event(
                Event.model_construct(
                    seq=view.next_seq(), ts=now, agent_id=next(who), payload=next(mix)
                )
            )
        sent += due
        await asyncio.sleep(TICK)
    return sent


async def wait_drained(view: FakeView, probe: Probe, target: int, timeout: float) -> float:
    start = time.perf_counter()
    while probe.events < target and time.perf_counter() - start < timeout:
        await asyncio.sleep(0.01)
    return time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    width, height = (int(x) for x in args.size.split("x"))
    view = FakeView(agents=min(args.agents, 4))
    view.snap = snapshot(args.agents)
    probe = Probe()
    app = AarApp(view, theme_dirs=(), on_frame=probe)
    agents = [a.id for a in view.snap.agents]
    print(f"app headless at {width}x{height}, {len(agents)} agents, swarm screen")
    print(
        f"{'offered/s':>10} {'absorbed/s':>11} {'fps':>5} {'lag p50':>9} {'lag p99':>9} "
        f"{'RSS MiB':>8}"
    )
    async with app.run_test(size=(width, height)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        base = rss_mib()
        for rate in args.rates:
            probe.reset()
            start = time.perf_counter()
            memory: list[float] = []
            sent = await produce(view, agents, rate, args.seconds, memory)
            await wait_drained(view, probe, sent, timeout=30)
            took = time.perf_counter() - start
            rss = rss_mib()  # before the quantiles, whose sort would count against the app
            print(
                f"{rate:>10.0f} {probe.events / took:>11.0f} {probe.frames / took:>5.1f} "
                f"{quantile(probe.lags, 0.5) * 1000:>7.1f}ms "
                f"{quantile(probe.lags, 0.99) * 1000:>7.1f}ms {rss:>8.1f}"
            )
            print(f"{'':>10} RSS MiB along the way: {' '.join(f'{m:.0f}' for m in memory)}")
        if args.burst:
            probe.reset()
            now = time.time()
            mix = itertools.cycle(payloads())
            who = itertools.cycle(agents)
            for _ in range(args.burst):
                view.emit_event(
                    Event.model_construct(
                        seq=view.next_seq(), ts=now, agent_id=next(who), payload=next(mix)
                    )
                )
            took = await wait_drained(view, probe, args.burst, timeout=60)
            print(
                f"burst of {args.burst} events at once: all on screen after "
                f"{took * 1000:.0f} ms in {probe.frames} frames "
                f"({args.burst / took:.0f} events/s absorbed)"
            )
        print(
            f"memory: {base:.1f} MiB after loading, {rss_mib():.1f} MiB at the end "
            f"(bounded: {len(app.model.log)} events kept for the events screen, "
            f"at most {max(len(b.lines) for b in app.model.activity.values())} lines a pane)"
        )


async def run(args: argparse.Namespace) -> None:
    await main(args)
    if args.transcript:
        from bench.transcript import report

        await report(args.transcript, max(1, args.transcript // 100), args.size_pair)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=32)
    parser.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[1600.0, 10000.0, 20000.0],
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="how long each rate runs (600 for the full 10 minutes)",
    )
    parser.add_argument("--burst", type=int, default=50000)
    parser.add_argument("--size", default="120x40")
    parser.add_argument(
        "--transcript",
        type=int,
        default=100_000,
        help="then open an agent with this many events beside one with a hundredth (0: skip)",
    )
    arguments = parser.parse_args()
    arguments.size_pair = tuple(int(x) for x in arguments.size.split("x"))
    asyncio.run(run(arguments))

"""Figures of the supervisor app under load: frames, lag from event to screen, memory.

    python bench/tui.py [--agents 32] [--rates 1600,10000,20000] [--seconds 20]
                        [--burst 50000] [--size 120x40] [--no-socket] [--transcript 100000]

Drives the app headless on a view fed with a synthetic stream (model text deltas, command
output, tool calls and results, state changes), twice: on the in-process view, and on a
`RemoteView` through the API's Unix socket of an engine in a process of its own, as
`aar run` runs it. For each it prints, per offered rate: events absorbed per second,
frames per second (batches applied and redrawn), the lag from an event's creation to the
end of the redraw that shows it (p50, p99; target under 100 ms at p99 for 10k events/s)
and the app's memory. Then one burst of `--burst` events at once: how long until all are
on screen. Then the two side by side: events/s absorbed and lag p99, and the socket's
ratio to them. Last, the agent screen on a transcript of `--transcript` events beside one
of a hundredth as many (bench/transcript.py). The full run of the specification is
`--rates 1600 --seconds 600` (32 agents x 50 events/s for 10 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing as mp
import sys
import tempfile
import time
from array import array
from collections.abc import AsyncIterator, Awaitable, Callable
from multiprocessing.connection import Connection
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


async def wait_drained(probe: Probe, target: int, timeout: float) -> float:
    start = time.perf_counter()
    while probe.events < target and time.perf_counter() - start < timeout:
        await asyncio.sleep(0.01)
    return time.perf_counter() - start


class StreamView(FakeView):
    """A fake engine that keeps its events, so a client cut for reading too slowly resumes
    from its last one, as from a real engine's store."""

    def __init__(self, agents: int) -> None:
        super().__init__(agents=min(agents, 4))
        self.snap = snapshot(agents)
        self.kept: list[Event] = []
        self._more = asyncio.Event()

    def emit_event(self, event: Event) -> None:
        self.kept.append(event)
        self._more.set()

    async def events(self, after_seq: int = 0) -> AsyncIterator[Event]:
        i = max(0, after_seq - self.snap.seq)  # seqs follow the snapshot's without gaps
        while True:
            while i < len(self.kept):
                yield self.kept[i]
                i += 1
            self._more.clear()
            await self._more.wait()


def serve_stream(run_dir: str, agents: int, conn: Connection) -> None:
    """The engine's side of the socket path, in a process of its own as `aar run` has it."""
    asyncio.run(_serve_stream(Path(run_dir), agents, conn))


async def _serve_stream(run_dir: Path, agents: int, conn: Connection) -> None:
    from engine.api import serve_api

    view = StreamView(agents)
    ids = [a.id for a in view.snap.agents]
    loop = asyncio.get_running_loop()
    async with serve_api(view, run_dir, run_id="bench") as api:
        conn.send(str(api.socket))
        while (order := await loop.run_in_executor(None, conn.recv)) is not None:
            if order[0] == "rate":
                conn.send(await produce(view, ids, order[1], order[2], []))
            else:
                emit_burst(view, ids, order[1])
                conn.send(order[1])


def emit_burst(view: FakeView, agents: list[str], count: int) -> None:
    now = time.time()
    mix = itertools.cycle(payloads())
    who = itertools.cycle(agents)
    for _ in range(count):
        view.emit_event(
            Event.model_construct(
                seq=view.next_seq(), ts=now, agent_id=next(who), payload=next(mix)
            )
        )


Feed = Callable[[str, float, float], Awaitable[int]]


async def measure(
    app: AarApp, probe: Probe, feed: Feed, args: argparse.Namespace, width: int, height: int
) -> list[tuple[float, float, float]]:
    """Each rate's line, then the burst's; (offered, absorbed/s, lag p99 s) per rate."""
    print(
        f"{'offered/s':>10} {'absorbed/s':>11} {'fps':>5} {'lag p50':>9} {'lag p99':>9} "
        f"{'RSS MiB':>8}"
    )
    rows = []
    async with app.run_test(size=(width, height)) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        base = rss_mib()
        for rate in args.rates:
            probe.reset()
            start = time.perf_counter()
            memory: list[float] = []
            sampler = asyncio.create_task(sample_memory(memory, args.seconds))
            sent = await feed("rate", rate, args.seconds)
            sampler.cancel()
            await wait_drained(probe, sent, timeout=30)
            took = time.perf_counter() - start
            rss = rss_mib()  # before the quantiles, whose sort would count against the app
            p99 = quantile(probe.lags, 0.99)
            rows.append((rate, probe.events / took, p99))
            print(
                f"{rate:>10.0f} {probe.events / took:>11.0f} {probe.frames / took:>5.1f} "
                f"{quantile(probe.lags, 0.5) * 1000:>7.1f}ms {p99 * 1000:>7.1f}ms {rss:>8.1f}"
            )
            print(f"{'':>10} RSS MiB along the way: {' '.join(f'{m:.0f}' for m in memory)}")
        if args.burst:
            probe.reset()
            start = time.perf_counter()
            await feed("burst", args.burst, 0)
            await wait_drained(probe, args.burst, timeout=60)
            took = time.perf_counter() - start
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
    return rows


async def sample_memory(memory: list[float], seconds: float) -> None:
    """The app's memory ten times along a rate's run."""
    for _ in range(10):
        memory.append(rss_mib())
        await asyncio.sleep(seconds / 10)


async def in_process(args: argparse.Namespace, width: int, height: int) -> list:
    view = FakeView(agents=min(args.agents, 4))
    view.snap = snapshot(args.agents)
    agents = [a.id for a in view.snap.agents]
    probe = Probe()

    async def feed(what: str, amount: float, seconds: float) -> int:
        if what == "rate":
            return await produce(view, agents, amount, seconds, [])
        emit_burst(view, agents, int(amount))
        return int(amount)

    print(f"in-process view: app headless at {width}x{height}, {len(agents)} agents, swarm")
    return await measure(
        AarApp(view, theme_dirs=(), on_frame=probe), probe, feed, args, width, height
    )


async def through_the_socket(args: argparse.Namespace, width: int, height: int) -> list:
    """The app on a RemoteView of an engine in another process, as `aar run` now has it."""
    from engine.api.files import read_token
    from engine.client import RemoteView

    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="aar-bench-") as tmp:
        here, there = mp.get_context("spawn").Pipe()
        server = mp.get_context("spawn").Process(
            target=serve_stream, args=(tmp, args.agents, there), daemon=True
        )
        server.start()
        try:
            socket = await loop.run_in_executor(None, here.recv)

            async def feed(what: str, amount: float, seconds: float) -> int:
                here.send((what, amount, seconds) if what == "rate" else (what, int(amount)))
                return await loop.run_in_executor(None, here.recv)

            probe = Probe()
            async with RemoteView(read_token(Path(tmp) / "token"), socket=socket) as view:
                print(f"socket view (RemoteView, engine in its own process), {width}x{height}")
                app = AarApp(view, theme_dirs=(), on_frame=probe)
                return await measure(app, probe, feed, args, width, height)
        finally:
            here.send(None)
            server.join(10)


async def main(args: argparse.Namespace) -> None:
    width, height = (int(x) for x in args.size.split("x"))
    local = await in_process(args, width, height)
    print()
    remote = [] if args.no_socket else await through_the_socket(args, width, height)
    if not remote:
        return
    print("\nside by side: events/s absorbed and lag p99, in-process view against the socket")
    print(f"{'offered/s':>10} {'in-process':>22} {'socket':>22} {'socket/in-process':>18}")
    for (rate, ev_l, p99_l), (_, ev_r, p99_r) in zip(local, remote, strict=True):
        print(
            f"{rate:>10.0f} {ev_l:>8.0f}/s {p99_l * 1000:>7.1f}ms   {ev_r:>8.0f}/s "
            f"{p99_r * 1000:>7.1f}ms   {ev_r / ev_l:>6.2f}x {p99_r / p99_l:>6.2f}x"
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
        "--no-socket", action="store_true", help="only the in-process view, no engine process"
    )
    parser.add_argument(
        "--transcript",
        type=int,
        default=100_000,
        help="then open an agent with this many events beside one with a hundredth (0: skip)",
    )
    arguments = parser.parse_args()
    arguments.size_pair = tuple(int(x) for x in arguments.size.split("x"))
    asyncio.run(run(arguments))

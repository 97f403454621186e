"""Figures of remote supervision: attach time, event delivery, command round trips.

    python bench/api.py [--events 100000] [--stream 20000] [--round-trips 20] [--no-ssh]

Prints, each beside its target where there is one:
- attach to a run whose log holds `--events` events: the time from opening a client on the
  run's socket to the app's first full screen (a snapshot, not a replay; target < 1 s);
- event delivery over the Unix socket to 1 and to 5 clients, each in its own process:
  events per second from the engine's appends to the last client's last event, and the
  latency from append to client (p50, p99) at a steady 2,000 events per second;
- command round trip: a hard pause sent by one client until another client sees the
  agent `paused`, over the Unix socket and through an ssh tunnel to a local sshd; and the
  same for `aar ctl pause` as a process (Python's start-up included).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.api import serve_api  # noqa: E402
from engine.client import RemoteView  # noqa: E402
from engine.commands import Pause, Resume  # noqa: E402
from engine.events import (  # noqa: E402
    AgentAddedPayload,
    AgentState,
    AgentStatePayload,
    ErrorPayload,
    TextDeltaPayload,
)


def _line(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"  {name:62} {value:>14}   {('target ' + target) if target else '':14} {mark}")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _open_engine(tmp: Path, name: str, prepared: Any, agents: int = 2) -> Any:
    from engine.config import load
    from engine.runtime import Engine

    config = load(
        None, {"run_dir": str(tmp / name), "agents": {"count": agents, "brain": "scripted"}}
    )
    return await Engine.open(config, prepare=lambda _c, _d: prepared)


# ---- attach to a long log -----------------------------------------------------------------


async def bench_attach(tmp: Path, prepared: Any, n_events: int) -> None:
    from aar_tui.app import AarApp

    engine = await _open_engine(tmp, "long", prepared)
    agents = [f"a{i}" for i in range(1, 11)]
    for agent in agents:
        engine.events.append(
            agent,
            AgentAddedPayload(
                direction=f"direction of {agent}", brain="scripted", sandbox_backend="local"
            ),
        )
        engine.events.append(agent, AgentStatePayload(state=AgentState.RUNNING))
    for i in range(n_events - 2 * len(agents)):
        engine.events.append(
            agents[i % len(agents)], TextDeltaPayload(text=f"thinking about step {i} ", step=i)
        )
        if i % 20_000 == 0:
            await engine.events.flush()
    await engine.events.flush()
    async with serve_api(engine.view(), engine.run_dir, run_id=engine.run_id) as api:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            async with RemoteView(api.token, socket=api.socket) as view:
                app = AarApp(view, theme_dirs=(), keymap_path=None)
                async with app.run_test(size=(160, 48)) as pilot:
                    await app.loaded.wait()
                    await pilot.pause()  # the first full screen is drawn
                    times.append(time.perf_counter() - start)
                    assert len(app.model.agents) == len(agents)
        best = min(times)
        _line(
            f"attach to a {engine.events.committed_seq:,}-event run: first screen",
            f"{best * 1000:.0f} ms",
            "< 1000 ms",
            best < 1.0,
        )
    await engine.close()


# ---- event delivery -------------------------------------------------------------------------


def _client_process(socket: str, token: str, after: int, count: int, out: Any) -> None:
    async def follow() -> None:
        latencies = []
        async with RemoteView(token, socket=socket) as view:
            out.put(("ready", None))
            async for event in view.events(after):
                latencies.append(time.time() - event.ts)
                if len(latencies) >= count:
                    break
        out.put(("done", (time.time(), latencies)))

    asyncio.run(follow())


async def _deliver(engine: Any, api: Any, clients: int, count: int, rate: float | None) -> Any:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    after = engine.events.committed_seq
    procs = [
        ctx.Process(target=_client_process, args=(str(api.socket), api.token, after, count, queue))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        await asyncio.to_thread(queue.get, True, 60)
    await asyncio.sleep(0.5)  # every client's stream is open
    start = time.time()
    for i in range(count):
        engine.events.append(None, ErrorPayload(message=f"event {i}"))
        if rate is not None:
            if i % 20 == 0:
                await asyncio.sleep(max(0.0, start + i / rate - time.time()))
        elif i % 2000 == 0:
            await asyncio.sleep(0)
    results = [await asyncio.to_thread(queue.get, True, 300) for _ in procs]
    for p in procs:
        p.join(30)
    finished = max(r[1][0] for r in results)
    latencies = [lat for r in results for lat in r[1][1]]
    return count / (finished - start), latencies


async def bench_delivery(tmp: Path, prepared: Any, count: int) -> None:
    engine = await _open_engine(tmp, "stream", prepared)
    async with serve_api(engine.view(), engine.run_dir, run_id=engine.run_id) as api:
        for clients in (1, 5):
            rate, _ = await _deliver(engine, api, clients, count, None)
            _line(f"events/s, engine to {clients} client(s), burst of {count:,}", f"{rate:,.0f}/s")
            _, latencies = await _deliver(engine, api, clients, 4000, 2000.0)
            _line(
                f"append-to-client latency, {clients} client(s) at 2,000/s, p50 / p99",
                f"{_pct(latencies, 0.5) * 1000:.1f} / {_pct(latencies, 0.99) * 1000:.1f} ms",
            )
    await engine.close()


# ---- command round trip -------------------------------------------------------------------


async def _round_trips(engine: Any, commander: Any, watcher: Any, n: int) -> list[float]:
    times = []
    start_seq = (await watcher.snapshot()).seq
    stream = watcher.events(start_seq).__aiter__()
    for _ in range(n):
        start = time.perf_counter()
        await commander.command(Pause(agent_id="a1", hard=True))
        while True:
            event = await stream.__anext__()
            if event.agent_id == "a1" and getattr(event.payload, "state", None) == "paused":
                break
        times.append(time.perf_counter() - start)
        await commander.command(Resume(agent_id="a1"))
        while True:
            event = await stream.__anext__()
            if event.agent_id == "a1" and getattr(event.payload, "state", None) == "running":
                break
    with contextlib.suppress(Exception):
        await stream.aclose()
    return times


def _report_trips(name: str, times: list[float]) -> None:
    _line(
        f"{name}, p50 / max", f"{statistics.median(times) * 1000:.0f} / {max(times) * 1000:.0f} ms"
    )


async def bench_round_trips(tmp: Path, prepared: Any, n: int, ssh: bool) -> None:
    engine = await _open_engine(tmp, "trips", prepared, agents=1)
    runner = asyncio.create_task(engine.run())
    while not engine.agents or engine.agents["a1"].state != AgentState.RUNNING:
        await asyncio.sleep(0.05)
    try:
        async with serve_api(engine.view(), engine.run_dir, run_id=engine.run_id) as api:
            async with (
                RemoteView(api.token, socket=api.socket) as a,
                RemoteView(api.token, socket=api.socket) as b,
            ):
                _report_trips(
                    "pause round trip over the Unix socket", await _round_trips(engine, a, b, n)
                )
            ctl = []
            for _ in range(3):
                start = time.perf_counter()
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "aar_tui", "ctl", "--run", str(engine.run_dir),
                    "pause", "a1", "--hard", stdout=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                if await proc.wait() != 0:
                    raise SystemExit("aar ctl pause failed")
                ctl.append(time.perf_counter() - start)
                await engine.command(Resume(agent_id="a1"))
            _report_trips("`aar ctl pause` as a process (with Python start-up)", ctl)
            if ssh:
                await _ssh_trips(engine, tmp, n)
    finally:
        engine.finish("the bench is over")
        await runner
        await engine.close()


async def _ssh_trips(engine: Any, tmp: Path, n: int) -> None:
    from engine.tunnel import SshTarget, SshTunnel
    from tests.services.sshd import start_sshd, stop_sshd

    server = start_sshd(Path(tempfile.mkdtemp(prefix="aar-sshd-")))
    try:
        target = SshTarget(host="aar-test-sshd", path=str(engine.run_dir))
        start = time.perf_counter()
        async with SshTunnel(target, ssh_options=server.ssh_options()) as tunnel:
            _line(
                "ssh tunnel up (connect, read token, forward)",
                f"{(time.perf_counter() - start) * 1000:.0f} ms",
            )
            async with (
                RemoteView(tunnel.token, socket=tunnel.local_socket) as a,
                RemoteView(tunnel.token, socket=tunnel.local_socket) as b,
            ):
                _report_trips(
                    "pause round trip through the ssh tunnel", await _round_trips(engine, a, b, n)
                )
    finally:
        stop_sshd(server)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--stream", type=int, default=20_000)
    parser.add_argument("--round-trips", type=int, default=20)
    parser.add_argument("--no-ssh", action="store_true")
    args = parser.parse_args()
    from engine.config import load
    from engine.run.task import prepare_task

    with tempfile.TemporaryDirectory(prefix="aar-bench-api-") as tmp_name:
        tmp = Path(tmp_name)
        prepared = await asyncio.to_thread(prepare_task, load(None, {}), tmp / "task")
        print("remote supervision (engine API over a Unix socket; clients in other processes)")
        await bench_attach(tmp, prepared, args.events)
        await bench_delivery(tmp, prepared, args.stream)
        await bench_round_trips(tmp, prepared, args.round_trips, not args.no_ssh)


if __name__ == "__main__":
    asyncio.run(main())

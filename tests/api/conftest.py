"""Fixtures for the API's tests: a real engine (real store, real local sandboxes) served on a
Unix socket and a loopback port, a real sshd, and helpers to follow events."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from engine.api import ApiServer, StreamLimits, serve_api
from engine.client import RemoteView
from engine.events import Event
from tests.engine.conftest import open_engine, prepared_task, prepared_toy  # noqa: F401
from tests.services.sshd import sshd  # noqa: F401


@pytest.fixture
def serve(open_engine):  # noqa: F811
    """`async with serve(**engine_overrides) as (engine, api)`: an engine and its API."""

    @contextlib.asynccontextmanager
    async def _serve(limits: StreamLimits | None = None, port: int | None = 0, **overrides):
        overrides.setdefault("agents", {"count": 2, "brain": "scripted"})
        engine = await open_engine(**overrides)
        try:
            async with serve_api(
                engine.view(),
                engine.run_dir,
                run_id=engine.run_id,
                port=port,
                limits=limits,
            ) as api:
                yield engine, api
        finally:
            if engine.running:
                engine.finish("the test is over")
            await engine.close()

    return _serve


def client(api: ApiServer, **kwargs) -> RemoteView:
    kwargs.setdefault("retry_for", 5.0)
    return RemoteView(api.token, socket=api.socket, **kwargs)


def raw_http(api: ApiServer) -> httpx.AsyncClient:
    """A plain HTTP client on the API's socket that sends the run's token, for raw requests."""
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=str(api.socket)),
        base_url="http://aar",
        headers={"authorization": f"Bearer {api.token}"},
    )


async def collect(view, after_seq: int, count: int, timeout: float = 30.0) -> list[Event]:
    """The next `count` events after `after_seq` from `view.events`."""
    got: list[Event] = []

    async def follow() -> None:
        async for event in view.events(after_seq):
            got.append(event)
            if len(got) >= count:
                return

    await asyncio.wait_for(follow(), timeout)
    return got


@dataclass
class ThreadedRun:
    """An engine and its API on an event loop of their own thread, for blocking clients."""

    url: str
    token: str
    run_dir: Path
    run_id: str


@pytest.fixture(scope="module")
def threaded_run(
    tmp_path_factory,
    prepared_toy,  # noqa: F811
    local_sandboxes,
) -> Iterator[ThreadedRun]:
    from engine.config import load
    from engine.runtime import Engine

    run_dir = tmp_path_factory.mktemp("threaded") / "run"
    ready: dict[str, object] = {}
    started = threading.Event()
    stop: asyncio.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None

    async def main() -> None:
        nonlocal stop, loop
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        config = load(None, {"run_dir": str(run_dir), "agents": {"count": 1, "brain": "scripted"}})
        engine = await Engine.open(config, prepare=lambda _c, _d: prepared_task(prepared_toy))
        try:
            async with serve_api(
                engine.view(), engine.run_dir, run_id=engine.run_id, port=0
            ) as api:
                ready["run"] = ThreadedRun(api.url or "", api.token, engine.run_dir, engine.run_id)
                started.set()
                await stop.wait()
        finally:
            await engine.close()
            started.set()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    started.wait(60)
    if "run" not in ready:
        pytest.fail("the engine did not start")
    yield ready["run"]  # type: ignore[misc]
    assert loop is not None and stop is not None
    loop.call_soon_threadsafe(stop.set)
    thread.join(30)

"""Fixtures for the Claude brain's tests: the scripted Messages API on loopback, reached by
the real SDK, and a real engine (store, event log, local sandboxes, scorer) whose agents
have Claude brains."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.brains.claude import ClaudeBrain, ClaudeSettings
from engine.brains.claude.limiter import CallLimiter
from engine.brains.claude.settings import RetryPolicy
from engine.brains.claude.transport import make_client
from engine.events import Event
from tests.conftest import require
from tests.services.messages_api import API_KEY, MessagesAPI

FAST_RETRY = RetryPolicy(attempts=4, base=0.02, cap=0.05, retry_after_cap=5.0, timeout=5.0)


def fast_settings(**changes: Any) -> ClaudeSettings:
    base = {"max_tokens": 1024, "retry": FAST_RETRY, "stuck_wait": 60.0}
    return ClaudeSettings(**(base | changes))


@pytest.fixture
def api():
    with MessagesAPI(min_cache_tokens=256) as server:
        yield server


@pytest.fixture(scope="session")
def prepared_toy(tmp_path_factory):
    from w2s.prepare import prepare

    return prepare("toy", tmp_path_factory.mktemp("toy"))


@pytest.fixture(scope="session")
def local_sandboxes() -> None:
    from sandbox.bwrap import bwrap_path

    require(bwrap_path() is not None, "bubblewrap (for local sandboxes)")


class Swarm:
    """A running engine whose agents talk to the scripted API; helpers to wait and read."""

    def __init__(self, engine: Any, api: MessagesAPI) -> None:
        self.engine = engine
        self.api = api
        self.brains: dict[str, ClaudeBrain] = {}
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    async def events(self, *kinds: str, agent: str | None = None) -> list[Event]:
        await self.engine.events.flush()
        return await self.engine.events.read(
            0, limit=1_000_000, kinds=kinds or None, agent_id=agent
        )

    async def wait_for(self, check: Callable[[], Any], timeout: float = 60.0, what: str = ""):
        deadline = time.monotonic() + timeout
        while True:
            await self.engine.events.flush()
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.02)

    async def wait_requests(self, n: int, timeout: float = 60.0) -> None:
        await self.wait_for(lambda: len(self.api.requests) >= n, timeout, f"{n} requests")

    def agent(self, agent_id: str = "a1") -> Any:
        return self.engine.agents[agent_id]

    def info(self, agent_id: str = "a1") -> Any:
        return self.engine.projection.agents[agent_id]

    async def finish(self) -> None:
        if self.task is not None and not self.task.done():
            self.engine.finish("the test is over")
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, 20)

    async def close(self) -> None:
        """Finish the run and close its engine, as a stopped `aar run` leaves it."""
        if not self.closed:
            await self.finish()
            await self.engine.close()
            self.closed = True


@pytest.fixture
async def open_swarm(tmp_path, prepared_toy, local_sandboxes, api):
    """Start a run of `agents` Claude agents (or resume the run in `resume`); yields a
    factory, finishes every run after."""
    from engine.config import load
    from engine.resume import resume_engine
    from engine.run.task import PreparedTask
    from engine.runtime import Engine

    task = PreparedTask(
        task_id=prepared_toy.task_id,
        bundle_dir=prepared_toy.bundle_dir,
        hidden_dir=prepared_toy.hidden_dir,
        baselines={"weak_public": prepared_toy.baselines["weak"]["public"]},
        method_defaults={},
    )
    swarms: list[Swarm] = []

    async def _open(
        settings: ClaudeSettings | None = None,
        *,
        agents: int = 1,
        limiter: CallLimiter | None = None,
        api_key: str = API_KEY,
        resume: Path | None = None,
        **overrides: Any,
    ) -> Swarm:
        settings = settings or fast_settings()
        client = make_client(base_url=api.url, api_key=api_key, timeout=settings.retry.timeout)
        limiter = limiter or CallLimiter(settings.max_in_flight)
        swarm: Swarm

        def brain(_name: str, direction: str, _seed: int) -> ClaudeBrain:
            b = ClaudeBrain(direction=direction, settings=settings, client=client, limiter=limiter)
            swarm.brains[f"a{len(swarm.brains) + 1}"] = b
            return b

        if resume is None:
            overrides.setdefault("run_dir", str(tmp_path / f"run{len(swarms)}"))
            agents_cfg = {"count": agents, "brain": "claude"} | overrides.pop("agents_cfg", {})
            config = load(None, {"agents": agents_cfg, **overrides})
            engine = await Engine.open(config, brain_factory=brain, prepare=lambda _c, _d: task)
        else:
            engine = await resume_engine(resume, brain_factory=brain)
        swarm = Swarm(engine, api)
        swarm.task = asyncio.create_task(engine.run())
        swarms.append(swarm)
        await swarm.wait_for(lambda: len(engine.agents) >= agents, what="the agents to start")
        return swarm

    yield _open
    for s in swarms:
        await s.close()


def user_texts(body: dict[str, Any]) -> list[str]:
    """Every text a request's user turns carry (text blocks and tool results)."""
    out = []
    for m in body["messages"]:
        if m["role"] != "user":
            continue
        for b in m["content"]:
            if b.get("type") == "text":
                out.append(b["text"])
            elif b.get("type") == "tool_result":
                c = b.get("content")
                out.append(c if isinstance(c, str) else str(c))
    return out


def last_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool results of a request's last user turn."""
    return [b for b in body["messages"][-1]["content"] if b.get("type") == "tool_result"]

"""Fixtures for the engine's parts: a real SQLite store and event log in a temp folder."""

from __future__ import annotations

import pytest

from engine.eventlog import EventLog
from engine.forum import Forum
from engine.store import Store


@pytest.fixture
async def store(tmp_path):
    s = await Store.open(tmp_path / "store.sqlite")
    yield s
    await s.close()


@pytest.fixture
async def log(store):
    events = EventLog(store)
    await events.start()
    yield events
    await events.close()


@pytest.fixture
def forum(store, log):
    return Forum(store, log)


@pytest.fixture(scope="session")
def prepared_toy(tmp_path_factory):
    """The toy task prepared once for the session (real w2s: bundle, hidden labels)."""
    from w2s.prepare import prepare

    return prepare("toy", tmp_path_factory.mktemp("toy"))


def prepared_task(prepared):
    """The engine's view of a task prepared once, so tests skip preparing it again."""
    from engine.run.task import PreparedTask

    return PreparedTask(
        task_id=prepared.task_id,
        bundle_dir=prepared.bundle_dir,
        hidden_dir=prepared.hidden_dir,
        baselines={"weak_public": prepared.baselines["weak"]["public"]},
        method_defaults={},
    )


@pytest.fixture
def open_engine(tmp_path, local_sandboxes, prepared_toy):
    """Open a real engine (real store, real local sandboxes) with the given brains."""
    from engine.config import load
    from engine.runtime import Engine

    opened = []

    async def _open(brain_factory=None, **overrides):
        overrides.setdefault("run_dir", str(tmp_path / "run"))
        config = load(None, overrides)
        engine = await Engine.open(
            config,
            brain_factory=brain_factory,
            prepare=lambda _c, _d: prepared_task(prepared_toy),
        )
        opened.append(engine)
        return engine

    yield _open

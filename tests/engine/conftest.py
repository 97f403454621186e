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

"""Fixtures for the attacks: a real engine on toy-v1 prepared from a fixed secret.

The secret fixes the labels and the public half, so an attack's outcome is the same on
every run: a test of "no better than chance" cannot pass or fail by the luck of a draw.
"""

from __future__ import annotations

import pytest

from tests.engine.conftest import prepared_task

SECRET = 20151  # any fixed value; the attacks never learn it


@pytest.fixture(scope="session")
def prepared_fixed(tmp_path_factory):
    from w2s.prepare import prepare

    cache = tmp_path_factory.mktemp("cache")  # the user's cache is never read nor written
    # The attacks aim at the scorer, not a task: toy-v1, whose public half is 2000 rows (toy-v2
    # has 8000), is their hardest case, where a 3-decimal score with no Ladder pins single rows.
    return prepare("toy-v1", tmp_path_factory.mktemp("toy-fixed"), seed=SECRET, cache_dir=cache)


@pytest.fixture
def open_engine(tmp_path, prepared_fixed):
    """Open a real engine (real store, local sandboxes, real grader) with the given brains."""
    from engine.config import load
    from engine.runtime import Engine

    async def _open(brain_factory, **overrides):
        overrides.setdefault("run_dir", str(tmp_path / "run"))
        engine = await Engine.open(
            load(None, overrides),
            brain_factory=brain_factory,
            prepare=lambda _c, _d: prepared_task(prepared_fixed),
        )
        return engine

    yield _open

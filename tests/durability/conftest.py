"""Fixtures for durability tests: real `aar` processes, a private sandbox state folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import open_engine, prepared_toy  # noqa: F401

AAR = [sys.executable, "-m", "aar_tui"]


@pytest.fixture
def sandbox_state(tmp_path, monkeypatch, local_sandboxes) -> Path:
    """Local sandboxes of the test keep their state here, so nothing is left behind."""
    state = tmp_path / "sandbox-state"
    state.mkdir()
    monkeypatch.setenv("AAR_SANDBOX_STATE_DIR", str(state))
    yield state
    leftovers = [p for p in state.rglob("spec.json")]
    assert not leftovers, f"sandboxes left behind: {leftovers}"


@pytest.fixture
def aar_env(sandbox_state, tmp_path_factory) -> dict[str, str]:
    """The environment of an `aar` process: the sandbox state and a cache shared by the tests."""
    cache = tmp_path_factory.getbasetemp() / "durability-cache"
    return {**os.environ, "AAR_SANDBOX_STATE_DIR": str(sandbox_state), "AAR_CACHE_DIR": str(cache)}


def start_aar(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("w")
    return subprocess.Popen([*AAR, *args], stdout=out, stderr=subprocess.STDOUT, env=env)


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read what is committed, as any client could, without holding the store."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except sqlite3.OperationalError:
            pass  # the store is not there yet
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the aar process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory, local_sandboxes) -> Path:
    """A short headless toy run that ended by itself, for reports and run management."""
    base = tmp_path_factory.mktemp("finished")
    state = base / "sandbox-state"
    env = {
        **os.environ,
        "AAR_SANDBOX_STATE_DIR": str(state),
        "AAR_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "durability-cache"),
    }
    run_dir = base / "runs" / "finished-toy"
    done = subprocess.run(
        [*AAR, "run", "--headless", "--agents", "2", "--minutes", "1", "--run-dir", str(run_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not list(state.rglob("spec.json")), "the run left sandboxes behind"
    return run_dir

"""A whole headless run through the `aar` command: forum, submissions, registry, event log."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# The record this test asks for; the run is finished (through `aar ctl`) once it holds.
WANTED = {
    "hypotheses": "SELECT COUNT(*) >= 3 FROM posts WHERE kind = 'hypothesis'",
    # An insight needs two scored trials of its author; a result waits for five seeds
    # (its own test).
    "an insight": "SELECT COUNT(*) >= 1 FROM posts WHERE kind = 'insight'",
    "scored submissions": "SELECT COUNT(*) >= 3 FROM submissions WHERE scored = 1",
    "experiments": "SELECT COUNT(DISTINCT digest) >= 3 FROM experiments WHERE status = 'finished'",
}


def _missing(store: Path) -> list[str]:
    """What the run's record still lacks (all of it while the store is not yet there)."""
    if not store.exists():
        return list(WANTED)
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
            return [name for name, sql in WANTED.items() if not db.execute(sql).fetchone()[0]]
    except sqlite3.OperationalError:  # tables not made yet
        return list(WANTED)


def _aar(*args: str) -> list[str]:
    return [sys.executable, "-m", "aar_tui", *args]


def test_a_short_headless_run_leaves_a_full_record(tmp_path, local_sandboxes):
    run_dir = tmp_path / "run"
    env = {**os.environ, "AAR_CACHE_DIR": str(tmp_path / "cache")}
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        # Ten minutes at most: the test ends the run as soon as its record is whole.
        run = subprocess.Popen(
            _aar("run", "--headless", "--agents", "3", "--minutes", "10", "--task", "toy",
                 "--run-dir", str(run_dir)),
            stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        # Within the suite's 300 s per test: the record comes in under a minute, loaded.
        deadline = time.monotonic() + 180
        while (missing := _missing(run_dir / "store.sqlite")) and run.poll() is None:
            assert time.monotonic() < deadline, f"after 180 s the run still lacks {missing}"
            time.sleep(0.5)
        assert not missing, f"the run ended lacking {missing}: {log.read_text()[-2000:]}"
        finish = subprocess.run(
            _aar("ctl", "--run", str(run_dir), "finish"),
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert finish.returncode == 0, finish.stdout + finish.stderr
        assert run.wait(timeout=60) == 0, log.read_text()[-2000:]
    finally:
        if run.poll() is None:
            os.killpg(run.pid, 9)
            run.wait()
    out = log.read_text()
    assert "leaderboard (public scores):" in out and " rank  agent" in out
    assert "posts hypothesis" in out and "submission" in out

    db = sqlite3.connect(run_dir / "store.sqlite")
    assert not _missing(run_dir / "store.sqlite")  # nothing of the record lost at the end
    # Every result links a scored submission of its own author.
    for author, sub in db.execute("SELECT author, submission_id FROM posts WHERE kind='result'"):
        owner, scored = db.execute(
            "SELECT agent_id, scored FROM submissions WHERE id = ?", (sub,)
        ).fetchone()
        assert owner == author and scored == 1
    seqs = [s for (s,) in db.execute("SELECT seq FROM events ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    event_kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM events")}
    assert {
        "agent_state",
        "tool_call",
        "tool_result",
        "text_delta",
        "experiment_finished",
        "submission",
        "forum_post",
        "run_state",
    } <= event_kinds
    # No private figure in the event log of a run whose scores were never revealed.
    assert not any('"private"' in p for (p,) in db.execute("SELECT payload FROM events"))
    # The hidden labels stay out of every workspace.
    for path in (run_dir / "workspaces").rglob("*"):
        assert "test_y" not in path.name
    assert (run_dir / "hidden").stat().st_mode & 0o077 == 0
    last = json.loads(db.execute("SELECT payload FROM events ORDER BY seq DESC").fetchone()[0])
    assert last["kind"] == "run_state" and last["state"] == "finished"

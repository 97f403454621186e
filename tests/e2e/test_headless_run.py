"""A whole headless run through the `aar` command: forum, submissions, registry, event log."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_a_short_headless_run_leaves_a_full_record(tmp_path, local_sandboxes):
    run_dir = tmp_path / "run"
    env = {**os.environ, "AAR_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "aar_tui",
            "run",
            "--headless",
            "--agents",
            "3",
            "--minutes",
            # Long enough for an insight; a result waits for five seeds (its own test).
            "3",
            "--task",
            "toy",
            "--run-dir",
            str(run_dir),
        ],
        capture_output=True,
        text=True,
        timeout=480,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "leaderboard (public scores):" in out and " rank  agent" in out
    assert "posts hypothesis" in out and "submission" in out

    db = sqlite3.connect(run_dir / "store.sqlite")
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM posts GROUP BY kind").fetchall())
    assert kinds.get("hypothesis", 0) >= 3
    assert kinds.get("insight", 0) >= 1, kinds
    # Every result links a scored submission of its own author.
    for author, sub in db.execute("SELECT author, submission_id FROM posts WHERE kind='result'"):
        owner, scored = db.execute(
            "SELECT agent_id, scored FROM submissions WHERE id = ?", (sub,)
        ).fetchone()
        assert owner == author and scored == 1
    scored = db.execute("SELECT COUNT(*) FROM submissions WHERE scored = 1").fetchone()[0]
    assert scored >= 3
    experiments = db.execute(
        "SELECT COUNT(DISTINCT digest) FROM experiments WHERE status = 'finished'"
    ).fetchone()[0]
    assert experiments >= 3
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

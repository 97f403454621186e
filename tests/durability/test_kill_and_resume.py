"""`kill -9` in the middle of a headless toy run, then `aar run --resume`: nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.durability.conftest import AAR, query, start_aar, wait_for

pytestmark = pytest.mark.slow


def _acknowledged(db) -> dict[str, object]:
    """Everything a client could have seen: committed events, submissions, posts, experiments."""
    return {
        "events": query(db, "SELECT seq, agent_id, kind, payload FROM events ORDER BY seq"),
        "submissions": query(db, "SELECT id, agent_id, public, flags FROM submissions ORDER BY id"),
        "posts": query(db, "SELECT id, author, kind, title FROM posts ORDER BY id"),
        "experiments": query(
            db, "SELECT id, digest FROM experiments WHERE status = 'finished' ORDER BY id"
        ),
    }


def _open_calls(db) -> list[str]:
    """Tool calls committed without a result: in flight."""
    rows = query(
        db,
        "SELECT json_extract(payload, '$.call_id') FROM events WHERE kind = 'tool_call'"
        " AND json_extract(payload, '$.call_id') NOT IN (SELECT json_extract(payload,"
        " '$.call_id') FROM events WHERE kind = 'tool_result')",
    )
    return [r[0] for r in rows]


def _last_steps(db) -> dict[str, int]:
    rows = query(
        db,
        "SELECT agent_id, MAX(json_extract(payload, '$.step')) FROM events"
        " WHERE kind = 'tool_call' GROUP BY agent_id",
    )
    return dict(rows)


def _wait_for_a_tool_call(run_dir: Path, proc: subprocess.Popen) -> None:
    db = run_dir / "store.sqlite"
    wait_for(
        lambda: query(db, "SELECT COUNT(*) FROM events WHERE kind = 'tool_call'")[0][0] >= 1,
        timeout=120,
        what="the agent's first tool call",
        proc=proc,
    )


def test_kill_9_then_resume_loses_nothing_and_goes_on(tmp_path, aar_env, sandbox_state):
    run_dir = tmp_path / "run"
    db = run_dir / "store.sqlite"
    first = start_aar(
        ["run", "--headless", "--agents", "2", "--minutes", "10", "--run-dir", str(run_dir)],
        aar_env,
        tmp_path / "first.log",
    )
    try:
        wait_for(
            lambda: (
                query(db, "SELECT COUNT(*) FROM submissions WHERE scored = 1")[0][0] >= 1
                and query(db, "SELECT COUNT(*) FROM posts")[0][0] >= 2
                and query(db, "SELECT COUNT(*) FROM agent_state")[0][0] >= 2
                and bool(_open_calls(db))
            ),
            timeout=120,
            what="a scored submission, posts, saved agent states and a call in flight",
            proc=first,
        )
    finally:
        first.kill()  # SIGKILL: no handler runs, nothing is flushed
        first.wait(10)
    cut_off = _open_calls(db)
    before = _acknowledged(db)
    steps_before = _last_steps(db)
    last_seq = before["events"][-1][0]
    # The sandboxes the killed engine held are still there, to be reattached.
    assert list(sandbox_state.rglob("spec.json"))

    second = start_aar(
        ["run", "--resume", str(run_dir), "--minutes", "5", "--headless"],
        aar_env,
        tmp_path / "second.log",
    )
    try:
        wait_for(
            lambda: all((_last_steps(db).get(a) or 0) > s for a, s in steps_before.items()),
            timeout=90,
            what="every agent to take new steps after the resume",
            proc=second,
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0, (tmp_path / "second.log").read_text()[-3000:]
    finally:
        if second.poll() is None:
            second.kill()
            second.wait(10)

    after = _acknowledged(db)
    # Nothing acknowledged is lost or changed.
    for key, rows in before.items():
        assert after[key][: len(rows)] == rows, key
    # No seq is reused: the log runs on from where the killed engine left it.
    seqs = [row[0] for row in after["events"]]
    assert seqs == list(range(1, len(seqs) + 1))
    resumed = [
        json.loads(p)
        for seq, _a, kind, p in after["events"]
        if kind == "run_state" and seq > last_seq
    ]
    assert resumed[0]["state"] == "running" and resumed[0]["reason"] == "resumed"
    assert resumed[-1]["state"] == "finished" and "SIGTERM" in resumed[-1]["reason"]
    # The same agents went on, numbering their steps on from the last one.
    added_after = [r for r in after["events"] if r[2] == "agent_added" and r[0] > last_seq]
    assert not added_after
    assert set(_last_steps(db)) == set(steps_before)
    # A tool call cut off by the kill is answered as interrupted; every call has an answer.
    assert not _open_calls(db)
    answers = dict(
        query(
            db,
            "SELECT json_extract(payload, '$.call_id'), json_extract(payload, '$.error')"
            " FROM events WHERE kind = 'tool_result' AND seq > ?",
            (last_seq,),
        )
    )
    for call_id in cut_off:
        assert answers[call_id].startswith("interrupted"), call_id
    assert not query(db, "SELECT id FROM experiments WHERE status = 'running'")
    # SIGTERM stopped and removed every sandbox (the fixture checks the state folder).
    # The engine's own log, apart from the event log, tells the story for a maintainer.
    engine_log = (run_dir / "engine.log").read_text()
    assert engine_log.count("resumed run") == 1
    assert ": sandbox aar-" in engine_log and "finished: interrupted (SIGTERM)" in engine_log


def test_resume_of_a_missing_run_is_a_clear_error(tmp_path, aar_env):
    done = subprocess.run(
        [*AAR, "run", "--resume", str(tmp_path / "nothing"), "--headless"],
        capture_output=True,
        text=True,
        env=aar_env,
        timeout=60,
    )
    assert done.returncode != 0
    assert "no run at" in done.stderr and "Traceback" not in done.stderr


def test_sigint_ends_a_run_with_exit_0_and_no_sandboxes(tmp_path, aar_env, sandbox_state):
    run_dir = tmp_path / "run"
    proc = start_aar(
        ["run", "--headless", "--agents", "1", "--minutes", "5", "--run-dir", str(run_dir)],
        aar_env,
        tmp_path / "run.log",
    )
    try:
        _wait_for_a_tool_call(run_dir, proc)
        assert list(sandbox_state.rglob("spec.json"))
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert not list(sandbox_state.rglob("spec.json"))


def test_keep_sandboxes_leaves_them_for_a_later_look(tmp_path, aar_env, sandbox_state):
    import asyncio

    import sandbox

    run_dir = tmp_path / "run"
    proc = start_aar(
        [
            *("run", "--headless", "--agents", "1", "--minutes", "5", "--keep-sandboxes"),
            *("--run-dir", str(run_dir)),
        ],
        aar_env,
        tmp_path / "run.log",
    )
    try:
        _wait_for_a_tool_call(run_dir, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    kept = list(sandbox_state.rglob("spec.json"))
    assert len(kept) == 1
    run_id = query(run_dir / "store.sqlite", "SELECT id FROM runs")[0][0]
    assert asyncio.run(sandbox.remove_orphans("local", run_id, set())) == 1

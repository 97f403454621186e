"""A run directory from the first schema migrates forward; one from a newer aar is refused."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from engine.errors import EngineError, StoreVersionError
from engine.eventlog import EventLog
from engine.events import ErrorPayload
from engine.migrations import SCHEMA_VERSION
from engine.store import Store
from tests.durability.conftest import AAR

FIXTURES = Path(__file__).parent / "fixtures"


def _old_run(run_dir: Path) -> Path:
    """A run directory as the first schema wrote it: no version, no newer tables."""
    run_dir.mkdir()
    path = run_dir / "store.sqlite"
    db = sqlite3.connect(path)
    db.executescript((FIXTURES / "schema_v1.sql").read_text())
    db.execute("INSERT INTO runs VALUES ('old', 'old', '{}', 1.0)")
    for seq in (1, 2, 3):
        payload = json.dumps(
            {"kind": "error", "message": f"event {seq}", "where": "", "fatal": False}
        )
        db.execute("INSERT INTO events VALUES (?, ?, NULL, 'error', ?)", (seq, float(seq), payload))
    db.execute(
        "INSERT INTO submissions (agent_id, method, predictions_digest, flags, scored, ts)"
        " VALUES ('a1', '{}', 'abc', '[]', 1, 1.0)"
    )
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()
    return path


async def test_a_first_schema_store_migrates_forward_and_keeps_its_rows(tmp_path):
    path = _old_run(tmp_path / "run")
    store = await Store.open(path)
    try:
        assert (await store.fetchone("PRAGMA user_version"))[0] == SCHEMA_VERSION
        tables = {r[0] for r in await store.fetchall("SELECT name FROM sqlite_master")}
        assert {"agent_state", "meta", "reruns"} <= tables
        assert (await store.fetchone("SELECT COUNT(*) FROM submissions"))[0] == 1
        # The log goes on after the old events: no seq reused.
        log = EventLog(store)
        await log.start()
        event = log.append(None, ErrorPayload(message="after the migration"))
        await log.close()
        assert event.seq == 4
        assert [e.seq for e in await log.read(0)] == [1, 2, 3, 4]
    finally:
        await store.close()
    # Opening it again is a no-op.
    store = await Store.open(path)
    await store.close()


async def test_a_store_from_a_newer_aar_is_refused_with_a_clear_message(tmp_path):
    path = _old_run(tmp_path / "run")
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreVersionError, match="newer aar") as err:
        await Store.open(path)
    assert f"schema {SCHEMA_VERSION + 1}" in str(err.value)


def test_resuming_a_newer_run_says_so_without_a_traceback(tmp_path, aar_env):
    path = _old_run(tmp_path / "run")
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    done = subprocess.run(
        [*AAR, "run", "--resume", str(tmp_path / "run"), "--headless"],
        capture_output=True,
        text=True,
        env=aar_env,
        timeout=60,
    )
    assert done.returncode == 1
    assert "written by a newer aar" in done.stderr and "Traceback" not in done.stderr


async def test_a_run_whose_engine_is_alive_is_not_resumed_or_removed(tmp_path):
    import os

    from engine.api.files import ApiInfo, write_info
    from engine.errors import ResumeError
    from engine.resume import resume_engine
    from engine.runs import remove_run, summarise

    run_dir = tmp_path / "run"
    _old_run(run_dir)
    write_info(run_dir, ApiInfo(run_id="old", pid=os.getpid(), socket=None))
    with pytest.raises(ResumeError, match="is running"):
        await resume_engine(run_dir)
    summary = summarise(run_dir)
    assert summary.state == "running"
    with pytest.raises(EngineError, match="is running"):
        remove_run(summary)
    assert (run_dir / "store.sqlite").exists()


async def test_an_old_run_directory_still_gets_a_report(tmp_path):
    from engine.report import write_report

    run_dir = tmp_path / "run"
    _old_run(run_dir)
    files = await write_report(run_dir)
    text = files.markdown.read_text()
    assert "isolation not recorded" in text and "No submission was reproduced" in text
    assert files.plot.exists() and files.csv.read_text().startswith("rank,")

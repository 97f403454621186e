"""`aar runs` lists, removes and prunes runs, asking first; `aar init` writes a config that
validates."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from engine.config import RunConfig, load
from engine.errors import EngineError
from engine.runs import parse_age
from tests.durability.conftest import AAR


def _aar(*args: str, env=None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AAR, *args], capture_output=True, text=True, env=env, input=input, timeout=60
    )


@pytest.fixture
def runs_dir(finished_run, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in ("old-run", "new-run"):
        shutil.copytree(finished_run, runs / name, ignore=shutil.ignore_patterns("api.json"))
    old = time.time() - 40 * 86400
    for p in (runs / "old-run").glob("store.sqlite*"):
        os.utime(p, (old, old))
    return runs


def test_runs_lists_name_task_state_agents_and_size(runs_dir):
    done = _aar("runs", "--runs-dir", str(runs_dir))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["name", "task", "state", "agents", "private"]
    row = next(line for line in lines if line.startswith("new-run")).split()
    assert row[1:4] == ["toy", "finished", "2"]
    assert row[4] == "-"  # no private figure before a reveal
    assert row[-1] == "MB"


def test_rm_asks_first_and_removes_the_run_with_its_workspaces(runs_dir):
    kept = _aar("runs", "--runs-dir", str(runs_dir), "rm", "new-run", input="n\n")
    assert kept.returncode == 0 and (runs_dir / "new-run").exists()
    gone = _aar("runs", "--runs-dir", str(runs_dir), "rm", "new-run", input="y\n")
    assert gone.returncode == 0 and not (runs_dir / "new-run").exists()
    unknown = _aar("runs", "--runs-dir", str(runs_dir), "rm", "nope", "--yes")
    assert unknown.returncode == 1 and "there is no run 'nope'" in unknown.stderr


def test_prune_removes_only_runs_older_than_the_age(runs_dir):
    done = _aar("runs", "--runs-dir", str(runs_dir), "prune", "--older-than", "30d", "--yes")
    assert done.returncode == 0, done.stderr
    assert not (runs_dir / "old-run").exists() and (runs_dir / "new-run").exists()
    bad = _aar("runs", "--runs-dir", str(runs_dir), "prune", "--older-than", "soon")
    assert bad.returncode == 1 and "unit" in bad.stderr and "Traceback" not in bad.stderr


def test_ages_read_minutes_hours_days_and_weeks():
    assert [parse_age(a) for a in ("90m", "12h", "30d", "2w")] == [5400, 43200, 2592000, 1209600]
    with pytest.raises(EngineError, match="30d"):
        parse_age("30 days")


def test_init_writes_a_commented_config_that_validates_and_names_every_field(tmp_path):
    path = tmp_path / "swarm.toml"
    done = _aar("init", str(path))
    assert done.returncode == 0, done.stderr
    text = path.read_text()
    assert isinstance(load(path), RunConfig)
    assert text.count("#") > 20
    for section, model in RunConfig.model_fields.items():
        sub = getattr(model.annotation, "model_fields", None)
        if sub is None:
            assert section in text, section
            continue
        assert f"[{section}]" in text
        for field in sub:
            assert field in text, f"{section}.{field}"
    again = _aar("init", str(path))
    assert again.returncode == 1 and "exists already" in again.stderr

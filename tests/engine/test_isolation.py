"""A run's sandboxes: limits by default (this machine's share per agent), said at start,
and no run on unisolated local sandboxes unless the supervisor asks for one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aar_tui.cli import cli
from engine.config import load
from engine.errors import ConfigError
from engine.isolation import limits_line
from sandbox import bwrap
from sandbox.limits import Limits, Machine, default_limits


def test_each_agent_gets_its_share_of_the_machine():
    machine = Machine(cores=16, memory_mb=64 * 1024)
    four = default_limits(4, machine)
    assert four == Limits(cpus=8.0, memory_mb=14336, pids=512)
    # Many agents: at least a core and 1 GiB each, whatever the count.
    assert default_limits(100, machine).cpus == 1.0
    assert default_limits(100, machine).memory_mb == 1024
    # Never more cores than the machine has.
    assert default_limits(1, machine).cpus == 16.0
    assert default_limits(3, Machine(cores=2, memory_mb=2048)).cpus == 1.33


async def test_a_run_that_sets_no_limits_gives_every_sandbox_limits(open_engine):
    engine = await open_engine(agents={"count": 2})
    spec = engine.sandboxes.spec("a1")
    share = default_limits(2)
    assert (spec.memory_mb, spec.cpus, spec.pids) == (share.memory_mb, share.cpus, 512)
    set_here = await open_engine(
        agents={"count": 2},
        sandbox={"memory_mb": 700, "cpus": 0.5},
        run_dir=str(engine.run_dir.parent / "other"),
    )
    spec = set_here.sandboxes.spec("a1")
    assert (spec.memory_mb, spec.cpus) == (700, 0.5)
    await engine.close()
    await set_here.close()


def test_the_start_line_says_what_each_sandbox_may_use():
    line = limits_line(load(None, {"agents": {"count": 3}}))
    share = default_limits(3)
    assert "\n" not in line
    assert line.startswith(f"sandboxes: local, each {share.memory_mb} MiB memory,")
    assert re.search(r"\(3 agents on \d+ cores, [\d.]+ GiB\)$", line)


async def test_without_bubblewrap_a_run_refuses_to_start(open_engine, monkeypatch):
    monkeypatch.setattr(bwrap, "bwrap_path", lambda: None)
    with pytest.raises(ConfigError) as refused:
        await open_engine(agents={"count": 1})
    message = str(refused.value)
    assert "\n" not in message and "bubblewrap" in message and "--sandbox docker" in message
    engine = await open_engine(agents={"count": 1}, sandbox={"allow_unisolated": True})
    await engine.close()


def test_aar_run_without_bubblewrap_says_the_fix_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(bwrap, "bwrap_path", lambda: None)
    result = CliRunner().invoke(
        cli, ["run", "--headless", "--agents", "1", "--run-dir", str(tmp_path / "r")]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: bubblewrap (bwrap) is not installed")
    assert "install the package 'bubblewrap', or use --sandbox docker" in lines[-1]
    assert not (tmp_path / "r").exists()  # refused before anything was made


# One test of each kind that builds local sandboxes: an engine, the API, a whole run, and
# real `aar` processes.
BUILDS_LOCAL_SANDBOXES = [
    "tests/engine/test_agent.py::test_no_progress_for_a_while_raises_stuck",
    "tests/api/test_commands.py::test_refused_and_applied_commands_come_back_as_results",
    "tests/api/test_cli.py::test_aar_run_serves_its_socket_for_ctl",
    "tests/e2e/test_headless_run.py::test_a_short_headless_run_leaves_a_full_record",
    "tests/durability/test_kill_and_resume.py::test_sigint_ends_a_run_with_exit_0_and_no_sandboxes",
]


def test_under_ci_every_test_that_builds_local_sandboxes_requires_bubblewrap(tmp_path):
    empty = tmp_path / "bin"  # a PATH without bwrap
    empty.mkdir()
    env = {**os.environ, "CI": "true", "PATH": str(empty)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--setup-only", "-q", "-p", "no:cacheprovider",
         *BUILDS_LOCAL_SANDBOXES],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    required = "bubblewrap (bwrap), for local sandboxes is required under CI=true"
    assert done.stdout.count(required) >= len(BUILDS_LOCAL_SANDBOXES), done.stdout[-3000:]
    assert f"{len(BUILDS_LOCAL_SANDBOXES)} error" in done.stdout, done.stdout[-3000:]


def test_aar_run_prints_the_limits_line_at_start(tmp_path, local_sandboxes):
    result = CliRunner().invoke(
        cli,
        ["run", "--headless", "--agents", "2", "--brain", "scripted", "--minutes", "0.01",
         "--run-dir", str(tmp_path / "r")],
        env={"AAR_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    starts = [line for line in result.output.splitlines() if line.startswith("sandboxes: ")]
    share = default_limits(2)
    assert len(starts) == 1, result.output
    assert f"each {share.memory_mb} MiB memory, {share.cpus:g} CPU, 512 processes" in starts[0]

"""What only the local backend does: run without bubblewrap (loudly), and without cgroups."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest

import sandbox
from sandbox import hierarchy, local
from sandbox.bwrap import bwrap_path
from tests.conftest import require


def _spec(tmp_path: Path, **fields) -> sandbox.SandboxSpec:
    (tmp_path / "ws").mkdir(exist_ok=True)
    values = {
        "run_id": f"loc-{tmp_path.name}"[:60],
        "agent_id": "a1",
        "workspace": tmp_path / "ws",
    } | fields
    return sandbox.SandboxSpec(**values)


async def test_without_bubblewrap_it_runs_and_says_loudly_it_is_not_isolated(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    monkeypatch.setattr(local, "bwrap_path", lambda: None)
    monkeypatch.setattr(local, "_warned_unisolated", False)
    caplog.set_level(logging.WARNING, logger="sandbox")
    box = await sandbox.create("local", _spec(tmp_path), state_dir=tmp_path / "state")
    second = None
    try:
        second = await sandbox.create(
            "local", _spec(tmp_path, agent_id="a2"), state_dir=tmp_path / "state"
        )
        assert not box.isolated
        assert await box.status() == "running, not isolated"
        assert [r.message for r in caplog.records].count(caplog.records[0].message) == 1
        assert "NOT isolated" in caplog.records[0].message
        result = await box.exec("echo hi > made.txt; cat made.txt", timeout=1)
        assert result.stdout == "hi\n"
        assert (tmp_path / "ws" / "made.txt").exists()
        timed = await box.exec("(setsid sh -c 'sleep 2; touch late') & sleep 30", timeout=0.5)
        assert timed.timed_out
    finally:
        await box.remove()
        if second is not None:
            await second.remove()


def _process_state(pid: int) -> str | None:
    """The one-letter state of a process (R, S, T, ...), or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state = text[text.rfind(")") + 2]
    return None if state in "ZX" else state


async def _until(check, seconds: float = 30.0) -> None:
    for _ in range(int(seconds * 50)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not reached in {seconds}s: {check}")


async def test_without_bubblewrap_or_cgroups_a_pause_and_a_timeout_still_reach_setsid_children(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(local, "bwrap_path", lambda: None)
    box = await sandbox.create(
        "local", _spec(tmp_path), state_dir=tmp_path / "state", use_cgroups=False
    )
    pid_file = tmp_path / "ws" / "child.pid"
    try:
        assert await box.status() == "running, not isolated"
        running = asyncio.ensure_future(
            box.exec(
                "setsid sh -c 'echo $$ > child.pid; exec sleep 300' &"
                " while [ ! -s child.pid ]; do sleep 0.01; done; sleep 300",
                timeout=10,
            )
        )
        await _until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
        child = int(pid_file.read_text())
        await box.pause()
        await _until(lambda: _process_state(child) == "T")
        await box.resume()
        await _until(lambda: _process_state(child) not in ("T", None))
        assert (await running).timed_out
        await _until(lambda: _process_state(child) is None)
    finally:
        await box.remove()


async def test_without_cgroups_limits_fall_back_and_pause_still_freezes(tmp_path: Path) -> None:
    require(bwrap_path() is not None, "bubblewrap (bwrap)")
    box = await sandbox.create(
        "local", _spec(tmp_path, memory_mb=512), state_dir=tmp_path / "state", use_cgroups=False
    )
    try:
        assert "RLIMIT_DATA" in box.limits["memory"]
        assert (await box.exec("echo ok")).stdout == "ok\n"
        hog = await box.exec(["python", "-c", "b = b'x' * (1024 << 20); print('survived')"])
        assert hog.exit_code != 0 and "survived" not in hog.stdout
        await box.pause()
        assert await box.status() == "paused"
        with pytest.raises(sandbox.SandboxError, match="paused"):
            await box.exec("true")
        await box.resume()
        assert (await box.stats()).pids is not None
    finally:
        await box.remove()


async def test_a_second_sandbox_for_the_same_agent_is_refused(tmp_path: Path) -> None:
    require(bwrap_path() is not None, "bubblewrap (bwrap)")
    box = await sandbox.create("local", _spec(tmp_path), state_dir=tmp_path / "state")
    try:
        with pytest.raises(sandbox.SandboxError, match="exists already"):
            await sandbox.create("local", _spec(tmp_path), state_dir=tmp_path / "state")
    finally:
        await box.remove()


ENGINE = """
import asyncio, sys
from pathlib import Path
import sandbox

async def main() -> None:
    spec = sandbox.SandboxSpec(run_id=sys.argv[1], agent_id="a1", workspace=Path(sys.argv[2]))
    box = await sandbox.create("local", spec, state_dir=sys.argv[3],
                               outlive_engine=sys.argv[4] == "yes")
    await box.exec("nohup sleep 300 > /dev/null 2>&1 &")

asyncio.run(main())
"""


@pytest.mark.parametrize("outlive", [False, True])
async def test_a_held_sandbox_ends_with_the_engine_unless_asked_to_outlive_it(
    tmp_path: Path, outlive: bool
) -> None:
    require(
        bwrap_path() is not None and hierarchy.cgroups_available(), "bubblewrap and cgroups (root)"
    )
    spec = _spec(tmp_path)
    engine = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ENGINE,
        spec.run_id,
        str(spec.workspace),
        str(tmp_path / "st"),
        "yes" if outlive else "no",
        cwd=Path(__file__).parents[2],
    )
    assert await engine.wait() == 0
    (box,) = await sandbox.reattach("local", spec.run_id, state_dir=tmp_path / "st")
    try:
        for _ in range(100):  # the kernel takes a moment to take a namespace down
            count = (await box.stats()).pids
            if count == 0 or outlive:
                break
            await asyncio.sleep(0.02)
        # the holder's three processes and the job, or nothing at all
        assert count >= 4 if outlive else count == 0
        assert (await box.exec("echo usable")).stdout == "usable\n"
    finally:
        await box.remove()


HOG = """import pathlib, time
held = b'x' * (200 << 20)
pathlib.Path('/workspace/ready').write_text('yes')
time.sleep(30)
"""


async def test_on_cgroup_v2_stats_count_a_background_job_even_without_the_memory_controller(
    tmp_path: Path, monkeypatch
) -> None:
    """Where cgroup v1 holds the controllers (as here), or in a container on cgroup v2 that
    cannot hand them down, the sandbox's v2 cgroup holds its processes but has no
    memory.current."""
    from sandbox.cgroups2 import unified_root

    root = unified_root()
    require(
        bwrap_path() is not None and root is not None and os.access(root, os.W_OK),
        "bubblewrap and a writable cgroup v2 hierarchy (root)",
    )
    monkeypatch.setattr(hierarchy, "v1_available", lambda: False)
    box = await sandbox.create(
        "local", _spec(tmp_path), state_dir=tmp_path / "state", use_cgroups=True
    )
    try:
        (tmp_path / "ws" / "hog.py").write_text(HOG)
        await box.exec("nohup python hog.py > /dev/null 2>&1 &", timeout=20)
        for _ in range(600):
            if (tmp_path / "ws" / "ready").exists():
                break
            await asyncio.sleep(0.05)
        stats = await box.stats()
        assert stats.memory_bytes is not None and stats.memory_bytes >= 200 << 20
        assert stats.pids is not None and stats.pids >= 4  # the holder's three and the job
        assert stats.cpu_percent is not None
    finally:
        await box.remove()

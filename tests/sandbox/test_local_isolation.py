"""What a local sandbox keeps from its user: new user namespaces, the engine's environment
in the holder, and the host paths of bwrap's command line; and a /tmp it can write."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

import sandbox
from sandbox import bwrap, hierarchy
from sandbox.bwrap import bwrap_path
from sandbox.runtime import host_runtime
from sandbox.users import engine_is_root
from tests.conftest import require

CANARY = "AAR_ENGINE_ONLY_CANARY"


@pytest.fixture(params=["held", "per command"])
async def local_box(request, tmp_path: Path) -> AsyncIterator[Callable]:
    """A started local sandbox: one long-lived holder (root with cgroups), or a bwrap per
    command; both ways a sandbox can run."""
    require(bwrap_path() is not None, "bubblewrap (bwrap)")
    held = request.param == "held"
    if held and not (engine_is_root() and hierarchy.cgroups_available()):
        pytest.skip("a held sandbox needs root and cgroups")
    made: list[sandbox.Sandbox] = []

    async def make() -> sandbox.Sandbox:
        workspace = tmp_path / "run-dir-on-the-host" / "workspaces" / "a1"
        workspace.mkdir(parents=True)
        spec = sandbox.SandboxSpec(
            run_id=f"iso-{os.getpid()}-{len(request.node.name) % 97}",
            agent_id="a1",
            workspace=workspace,
        )
        box = await sandbox.create("local", spec, state_dir=tmp_path / "state", use_cgroups=held)
        made.append(box)
        return box

    yield make
    for box in made:
        await box.remove()


async def test_no_new_user_namespace_can_be_made_inside(local_box) -> None:
    box = await local_box()
    result = await box.exec("unshare -Ur id", timeout=30)
    assert result.exit_code != 0 and "uid=0" not in result.stdout, result.stdout
    # Threads and processes still start: only namespaces are refused.
    threads = await box.exec(
        [
            "python",
            "-c",
            "import threading, os; t = threading.Thread(target=print, args=('t',));"
            " t.start(); t.join(); os.fork() or os._exit(0); print('forked')",
        ],
        timeout=60,
    )
    assert threads.ok and threads.stdout.split() == ["t", "forked"], threads.stderr


async def test_a_command_may_name_bwrap_itself(local_box) -> None:
    box = await local_box()
    result = await box.exec(["ls", str(bwrap_path())], timeout=30)
    assert result.ok and result.stdout.strip() == bwrap_path(), result.stderr


async def test_tmp_is_the_sandbox_users_to_write(local_box) -> None:
    box = await local_box()
    result = await box.exec(
        'echo x > "$HOME/a" && mktemp -p "$TMPDIR" >/dev/null && id -u', timeout=30
    )
    assert result.ok, result.stderr
    assert result.stdout.strip() != "0"


async def test_pid_1_names_no_host_path_and_mounted_paths_lead_nowhere(
    local_box, tmp_path: Path
) -> None:
    box = await local_box()
    host = str(tmp_path)
    cmdline = await box.exec("tr '\\0' ' ' < /proc/1/cmdline", timeout=30)
    assert cmdline.ok and "bwrap" in cmdline.stdout
    assert host not in cmdline.stdout, cmdline.stdout
    # Mount sources stay visible in mountinfo (the kernel shows them); knowing them gives
    # nothing: no such path exists inside.
    mounts = await box.exec("cat /proc/self/mountinfo", timeout=30)
    named = {word for word in mounts.stdout.split() if word.startswith(host)}
    assert named, "the workspace's host path is expected in mountinfo"
    for path in named:
        probe = await box.exec(["ls", path], timeout=30)
        assert probe.exit_code != 0, path


async def test_the_holder_keeps_none_of_the_engines_environment(tmp_path: Path) -> None:
    require(bwrap_path() is not None, "bubblewrap (bwrap)")
    if not (engine_is_root() and hierarchy.cgroups_available()):
        pytest.skip("a holder runs as root with cgroups only")
    os.environ[CANARY] = "the engine's secret"
    try:
        (tmp_path / "ws").mkdir()
        spec = sandbox.SandboxSpec(
            run_id=f"env-{os.getpid()}", agent_id="a1", workspace=tmp_path / "ws"
        )
        box = await sandbox.create("local", spec, state_dir=tmp_path / "state")
    finally:
        del os.environ[CANARY]
    try:
        holder = box._isolation.holder  # type: ignore[attr-defined]
        assert holder is not None
        for pid in holder.pids():
            names = {
                entry.split(b"=", 1)[0].decode()
                for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                if entry
            }
            assert names <= {"PWD"}, (pid, names)
    finally:
        await box.remove()


def test_unprivileged_bwrap_disables_user_namespaces_where_it_can(tmp_path, monkeypatch):
    path = bwrap_path()
    require(path is not None, "bubblewrap (bwrap)")
    monkeypatch.setattr(bwrap, "engine_is_root", lambda: False)
    (tmp_path / "ws").mkdir()
    spec = sandbox.SandboxSpec(run_id="r", agent_id="a1", workspace=tmp_path / "ws")
    argv = bwrap.bwrap_argv(path, spec, host_runtime(("w2s",)), tmp_path, "/workspace", ["id"])
    # An older bwrap (before 0.8) would refuse the option: then it is left out.
    has_option = bwrap.can_disable_userns(path)
    assert ("--disable-userns" in argv) == has_option
    assert ("--unshare-user" in argv) == has_option


async def test_neither_backend_lets_a_command_make_a_user_namespace(make_box) -> None:
    box = await make_box()
    result = await box.exec("unshare -Ur id", timeout=60)
    assert result.exit_code != 0 and "uid=0" not in result.stdout, result.stdout

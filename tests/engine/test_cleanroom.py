"""A clean room leaves no sandbox behind, even when its run is cut short while the sandbox
is still being made (a SIGINT or a stop in the first moment of `run_experiment`)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import sandbox
from engine.cleanroom import CleanRoom
from sandbox.local import LocalSandbox


def _room(tmp_path: Path, run_id: str) -> CleanRoom:
    (tmp_path / "unused").mkdir()
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    return CleanRoom(
        backend="local",
        run_dir=tmp_path / "run",
        agent_spec=lambda agent_id: sandbox.SandboxSpec(
            run_id=run_id,
            agent_id=agent_id,
            workspace=tmp_path / "unused",
            mounts={"/bundle": bundle},
        ),
        test_rows=4,
    )


async def test_a_run_cancelled_while_its_sandbox_is_made_leaves_none(
    tmp_path, monkeypatch, local_sandboxes
):
    state = tmp_path / "state"
    monkeypatch.setenv("AAR_SANDBOX_STATE_DIR", str(state))
    # The real sandbox is made; its return is held until the run has been cancelled, which
    # is the moment a SIGINT in the first second of `run_experiment` lands in.
    made, release = threading.Event(), threading.Event()
    real_make = LocalSandbox.make.__func__

    def make_then_wait(cls, spec, **options):
        box = real_make(cls, spec, **options)
        made.set()
        release.wait(60)
        return box

    monkeypatch.setattr(LocalSandbox, "make", classmethod(make_then_wait))
    room = _room(tmp_path, "cut-short")
    run = asyncio.create_task(room.run_config("a1", {"method": "naive"}, timeout=60))
    assert await asyncio.to_thread(made.wait, 60)
    assert list(state.rglob("spec.json"))
    run.cancel()
    await asyncio.sleep(0)  # the cancellation reaches the run before the making returns
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await run
    # Whatever was still being made in a thread has finished once the executor is shut.
    await asyncio.get_running_loop().shutdown_default_executor()
    assert not list(state.rglob("spec.json"))
    assert not list((tmp_path / "run" / "clean").iterdir())


async def test_a_run_cancelled_while_it_runs_leaves_none(tmp_path, monkeypatch, local_sandboxes):
    state = tmp_path / "state"
    monkeypatch.setenv("AAR_SANDBOX_STATE_DIR", str(state))
    room = _room(tmp_path, "cut-running")
    started = asyncio.Event()

    async def hold() -> None:
        async with room.fresh("a1") as box:
            started.set()
            await box.exec("sleep 30", timeout=60)

    run = asyncio.create_task(hold())
    await asyncio.wait_for(started.wait(), 60)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert not list(state.rglob("spec.json"))
    assert not list((tmp_path / "run" / "clean").iterdir())

"""`aar serve`, `aar run --headless` and `aar ctl` as a user runs them, in separate processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from engine.targets import open_view

pytestmark = pytest.mark.slow


async def start(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aar_tui",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


async def ctl(*args: str, env: dict[str, str]) -> tuple[int, str]:
    proc = await start("ctl", *args, env=env)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def wait_for_socket(run_dir: Path, proc: asyncio.subprocess.Process) -> None:
    for _ in range(1200):
        if (run_dir / "api.json").exists():
            return
        if proc.returncode is not None:
            break
        await asyncio.sleep(0.05)
    out = await proc.stdout.read() if proc.stdout else b""
    raise AssertionError(f"the engine did not serve: {out.decode()[-2000:]}")


@pytest.fixture
def env(tmp_path, local_sandboxes, prepared_toy):
    # Its own data and runtime dirs: no other run on this machine is "the newest running run".
    (tmp_path / "rt").mkdir(mode=0o700)
    return {
        **os.environ,
        "AAR_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path / "rt"),
    }


async def test_serve_then_ctl_pause_shows_pausing_then_paused_to_an_attached_client(tmp_path, env):
    run_dir = tmp_path / "aar" / "runs" / "R"  # in the runs directory: `aar runs` lists it
    serve = await start(
        "serve", "--agents", "2", "--task", "toy", "--brain", "scripted", "--run-dir", str(run_dir),
        env=env,
    )  # fmt: skip
    try:
        await wait_for_socket(run_dir, serve)
        async with open_view(str(run_dir)) as watcher:
            snap = await watcher.snapshot()
            states: list[str] = []

            async def watch() -> None:
                async for event in watcher.events(snap.seq):
                    if event.agent_id == "a1" and event.kind == "agent_state":
                        states.append(event.payload.state)
                        if event.payload.state == "paused":
                            return

            follower = asyncio.create_task(watch())
            code, out = await ctl("--run", str(run_dir), "pause", "a1", "--json", env=env)
            assert code == 0, out
            await asyncio.wait_for(follower, 30)
            assert states[-2:] == ["pausing", "paused"]

            code, out = await ctl("agents", "--json", env=env)  # no target: the newest run
            assert code == 0, out
            by_id = {a["id"]: a["state"] for a in json.loads(out)}
            assert by_id["a1"] == "paused" and by_id["a2"] != "paused"
            code, out = await ctl("show", "a1", env=env)  # the hold: who, since when
            assert code == 0 and "holds:" in out, out
            assert "supervisor" in out and "by ctl:" in out and "holds now" in out

            code, out = await ctl("--run", str(run_dir), "finish", env=env)
            assert code == 0 and "finish_run" in out
        out, _ = await asyncio.wait_for(serve.communicate(), 60)
        assert serve.returncode == 0, out.decode()[-2000:]
        text = out.decode()
        assert f"serving the API on unix:{run_dir}/api.sock" in text
        assert "attach with: aar attach" in text and "run finished" in text
        assert not (run_dir / "api.sock").exists() and not (run_dir / "api.json").exists()
    finally:
        if serve.returncode is None:
            os.killpg(serve.pid, signal.SIGKILL)
            await serve.wait()


async def test_aar_run_serves_its_socket_for_ctl(tmp_path, env):
    run_dir = tmp_path / "headless"
    run = await start(
        "run", "--headless", "--agents", "1", "--brain", "scripted", "--minutes", "5",
        "--run-dir", str(run_dir), env=env,
    )  # fmt: skip
    try:
        await wait_for_socket(run_dir, run)
        code, out = await ctl("--run", str(run_dir), "status", env=env)
        assert code == 0 and "running" in out, out
        code, out = await ctl("--run", str(run_dir), "finish", "--json", env=env)
        assert code == 0 and json.loads(out)["status"] in ("pending", "applied")
        await asyncio.wait_for(run.wait(), 60)
        assert run.returncode == 0
    finally:
        if run.returncode is None:
            os.killpg(run.pid, signal.SIGKILL)
            await run.wait()


async def test_ctl_exit_codes_say_what_went_wrong(tmp_path, env, serve):
    code, out = await ctl("--run", str(tmp_path / "missing"), "status", env=env)
    assert code == 3 and "no run at" in out
    code, out = await ctl("status", env=env)
    assert code == 3 and "no running run" in out
    code, out = await ctl("budget", "--minutes", "-5", env=env)
    assert code == 2 and "minutes" in out
    serve_bad = await start("serve", "--host", "0.0.0.0", env=env)
    out = (await serve_bad.communicate())[0].decode()
    assert serve_bad.returncode == 2 and "--host needs --port" in out
    serve_public = await start("serve", "--host", "0.0.0.0", "--port", "0", "--agents", "0",
                               env=env)  # fmt: skip
    out = (await serve_public.communicate())[0].decode()
    assert "warning: listening on 0.0.0.0" in out and "agents.count" in out
    async with serve() as (engine, _api):
        (engine.run_dir / "token").write_text("not-the-token\n")
        code, out = await ctl("--run", str(engine.run_dir), "agents", env=env)
        assert code == 4 and "refused the token" in out


async def test_every_ctl_verb_answers_in_the_api_schema_with_its_exit_code(serve, env):
    from tests.engine.harness import running

    async with serve() as (engine, _api), running(engine):
        run = ["--run", str(engine.run_dir)]

        async def verb(*args: str, code: int = 0) -> object:
            got, out = await ctl(*run, *args, "--json", env=env)
            assert got == code, (args, out)
            return json.loads(out) if code in (0, 1) else out

        reads = await asyncio.gather(
            verb("status"), verb("agents"), verb("show", "a1", "--events", "5"),
            verb("forum"), verb("leaderboard"),
        )  # fmt: skip
        status, agents, show, forum, board = reads
        assert status["run"]["run_id"] == engine.run_id and "seq" in status
        assert {a["id"] for a in agents} == {"a1", "a2"}
        assert show["agent"]["id"] == "a1" and len(show["transcript"]) == 5
        assert isinstance(forum, list) and board == []

        texts = await asyncio.gather(
            *(ctl(*run, *args, env=env) for args in
              (["status"], ["agents"], ["show", "a1"], ["forum"], ["leaderboard"]))
        )  # fmt: skip
        assert [code for code, _ in texts] == [0] * 5, texts
        assert "a1" in texts[1][1] and "RANK" in texts[4][1]

        assert (await verb("pause", "a1", "--hard"))["status"] == "applied"
        assert (await verb("resume", "a1"))["status"] in ("applied", "pending")
        assert (await verb("redirect", "a1", "try logconf"))["status"] in ("applied", "pending")
        assert (await verb("spawn", "product loss", "--brain", "scripted"))["status"] == "applied"
        assert (await verb("broadcast", "share your best configs"))["status"] == "applied"
        assert (await verb("budget", "--submissions-per-hour", "7"))["status"] == "applied"
        posted = await verb("post", "a plan", "look at small learning rates", "--tag", "plan")
        assert posted["author"] == "supervisor" and posted["tags"] == ["plan"]
        found = await verb("forum", "--search", "learning rates")
        assert posted["id"] in [p["id"] for p in found]
        assert (await verb("void", "999", "probing", code=1))["status"] == "refused"
        assert (await verb("pause-all"))["status"] in ("applied", "pending")
        assert (await verb("resume-all"))["status"] in ("applied", "pending")
        assert (await verb("reveal"))["status"] == "applied"
        assert (await verb("stop", "a2"))["status"] in ("applied", "pending")
        assert (await verb("finish"))["status"] in ("applied", "pending")

"""Through a real sshd with the system ssh client: aar ctl, the tunnel's drop and resume, attach."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from engine.client import RemoteView
from engine.events import ErrorPayload
from engine.targets import open_view
from engine.tunnel import SshTarget, SshTunnel
from tests.api.conftest import collect
from tests.engine.harness import running, until


async def aar(*args: str, timeout: float = 60) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aar_tui",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


def ssh_url(sshd, run_dir: Path | str) -> str:
    return f"ssh://{sshd.host}{run_dir}"


async def test_aar_ctl_reads_and_steers_a_run_through_ssh(serve, sshd):
    async with serve() as (engine, _api), running(engine):
        target = ["--run", ssh_url(sshd, engine.run_dir), "--ssh-option", f"-F {sshd.config}"]
        code, out, err = await aar("ctl", *target, "agents", "--json")
        assert code == 0, err
        agents = json.loads(out)
        assert {a["id"] for a in agents} == {"a1", "a2"} and all("state" in a for a in agents)

        code, out, err = await aar("ctl", *target, "pause", "a1", "--json")
        assert code == 0, err
        assert json.loads(out)["status"] in ("pending", "applied")
        await until(lambda: engine.agents["a1"].state.value == "paused", what="a1 paused")
        rows = await engine.store.fetchall("SELECT issued_by FROM commands")
        assert rows[-1][0].startswith("ctl:")

        code, out, _ = await aar("ctl", *target, "status")
        assert code == 0 and engine.run_id in out and "1 paused" in out

        code, _, err = await aar("ctl", *target, "pause", "a9")
        assert code == 1 and "a9" in (err + _)

    code, _, err = await aar(
        "ctl", "--run", ssh_url(sshd, "/no/such/run"), "--ssh-option", f"-F {sshd.config}", "status"
    )
    assert code == 3 and "no run at /no/such/run" in err


async def test_a_dropped_tunnel_is_rebuilt_and_events_resume_without_gaps(serve, sshd):
    async with serve() as (engine, _api):
        target = SshTarget(host=sshd.host, path=str(engine.run_dir))
        async with SshTunnel(target, ssh_options=sshd.ssh_options()) as tunnel:
            assert tunnel.token == (engine.run_dir / "token").read_text().strip()
            view = RemoteView(tunnel.token, socket=tunnel.local_socket, retry_for=30)
            states: set[str] = set()
            total = 400

            async def produce() -> None:
                for i in range(total):
                    engine.events.append(None, ErrorPayload(message=f"m{i}"))
                    await asyncio.sleep(0.002)
                    if i == 150:
                        await tunnel.kill_connection()
                        for _ in range(100):
                            states.add(view.connection)
                            await asyncio.sleep(0.01)

            async with view:
                got, _ = await asyncio.gather(collect(view, 0, total, timeout=60), produce())
            assert [e.seq for e in got] == list(range(1, total + 1))
            assert tunnel.reconnects >= 1
            assert "reconnecting" in states and view.connection == "connected"


async def test_the_token_never_appears_on_a_command_line(serve, sshd):
    async with (
        serve() as (engine, _api),
        open_view(ssh_url(sshd, engine.run_dir), ssh_options=sshd.ssh_options()) as view,
    ):
        await view.snapshot()
        token = (engine.run_dir / "token").read_text().strip().encode()
        seen = 0
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                args = cmdline.read_bytes()
            except OSError:
                continue
            seen += b"ssh" in args
            assert token not in args
        assert seen >= 1  # the tunnel's ssh was among the processes looked at


async def test_attach_over_ssh_shows_the_swarm_and_a_pause_as_it_lands(serve, sshd):
    from aar_tui.app import AarApp
    from engine.commands import Pause
    from tests.tui.screen_text import screen_text

    async with (
        serve() as (engine, _api),
        running(engine),
        open_view(ssh_url(sshd, engine.run_dir), ssh_options=sshd.ssh_options()) as view,
    ):
        app = AarApp(view, where=f"ssh {sshd.host}", theme_dirs=(), keymap_path=None)
        async with app.run_test(size=(140, 40)) as pilot:
            await asyncio.wait_for(app.loaded.wait(), 20)
            await pilot.pause()
            text = screen_text(app)
            assert "a1" in text and "a2" in text
            await view.command(Pause(agent_id="a1"))
            for _ in range(200):
                await asyncio.sleep(0.05)
                await pilot.pause()
                if app.model.agents["a1"].state == "paused":
                    break
            assert app.model.agents["a1"].state == "paused"
            assert "paused" in screen_text(app)


async def test_aar_attach_over_ssh_draws_the_swarm_in_a_real_terminal(serve, sshd, tmp_path):
    import shlex
    import shutil

    from tests.conftest import require

    require(shutil.which("tmux") is not None, "tmux")
    # A tmux server of this test's own, by socket path: a name would be shared with any other
    # suite running on the machine, whose kill-server would end this one's session.
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g remain-on-exit on\n")  # an attach that dies leaves its last words
    tmux = ["tmux", "-S", str(tmp_path / "tmux.sock"), "-f", str(conf)]
    spool = tmp_path / "spool"  # the attach's TMPDIR: where its ssh tunnel keeps its socket
    spool.mkdir()

    async def tmux_out(*args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            *tmux, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        return (await proc.communicate())[0].decode()

    async with serve() as (engine, _api), running(engine):
        command = (
            f"env TMPDIR={shlex.quote(str(spool))} {sys.executable} -m aar_tui attach"
            f" {ssh_url(sshd, engine.run_dir)} --ssh-option '-F {sshd.config}'"
        )
        proc = await asyncio.create_subprocess_exec(
            *tmux, "new-session", "-d", "-x", "150", "-y", "40", command
        )
        assert await proc.wait() == 0
        try:
            screen = ""
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            while loop.time() < deadline:
                screen = await tmux_out("capture-pane", "-p")
                if engine.run_id in screen and "a1" in screen and "a2" in screen:
                    break
                await asyncio.sleep(0.2)
            dead = await tmux_out("display-message", "-p", "#{pane_dead} #{pane_dead_status}")
            assert engine.run_id in screen and "a1" in screen and "a2" in screen, (dead, screen)
            assert list(spool.iterdir()), "the tunnel's socket is in the attach's TMPDIR"
        finally:
            await tmux_out("kill-server")
        # The closed terminal (SIGHUP) ends the attach as a detach does: its tunnel is gone.
        await until(lambda: not list(spool.iterdir()), timeout=30, what="the tunnel's dir removed")


async def test_an_ssh_target_without_a_path_reaches_the_newest_running_run(
    serve, sshd, tmp_path, monkeypatch
):
    runtime = tmp_path / "rt"
    runtime.mkdir(mode=0o700)
    # This test's own runtime dir, here and in the ssh login: no other run on this machine counts.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    options = [f"-F {sshd.config}", f"-o SetEnv=XDG_RUNTIME_DIR={runtime}"]
    async with serve() as (engine, _api):
        code, out, err = await aar(
            "ctl", "--run", f"ssh://{sshd.host}", *(f"--ssh-option={o}" for o in options),
            "status", "--json",
        )  # fmt: skip
        assert code == 0, err
        assert json.loads(out)["run"]["run_id"] == engine.run_id

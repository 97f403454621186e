"""The run outlives its screen: a real `aar run` in tmux, its app closed, hung up, killed.

`aar run` starts the engine as a process of its own; these tests end the app every way a
supervisor's screen ends (q then detach, a hang-up of the terminal, `kill -9`, an error
in the app) and check that the engine is still serving the run, that `aar runs` lists it
running and that `aar attach` brings the screen back.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.api.files import pid_alive
from tests.conftest import require
from tests.tui.test_tmux import AAR, Tmux, _row

pytestmark = pytest.mark.slow

START = 180.0  # preparing the task and starting an agent, on a loaded machine


class Place:
    """A private runs directory, runtime directory and config for one test's runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_RUNTIME_DIR": str(root / "rt"),
            "AAR_CONFIG_DIR": str(root / "config"),
        }
        # Unique on the machine: sandboxes are kept by run name, and the machine is shared.
        self.name = f"outlives-{os.getpid()}-{root.name}"[:60]
        self.run_dir = root / "data" / "aar" / "runs" / self.name
        self.run = f"{AAR} run --agents 1 --task toy --minutes 10 --name {self.name}"
        self.sessions: list[Tmux] = []

    def shell(self, args: str, *, exec_: bool = False) -> str:
        """A command line for tmux: `aar ARGS` in this place, in a 256-colour terminal."""
        env = " ".join(f"{k}={v}" for k, v in self.env.items())
        line = f"cd {os.getcwd()} && env -u COLUMNS -u LINES TERM=xterm-256color {env} {args}"
        if exec_:  # the pane's process is the app itself, for signals
            return line.replace("&& env", "&& exec env", 1)
        return f"{line}; echo EXITED $?; sleep 120"

    def tmux(self, args: str, *, exec_: bool = False, size: tuple[int, int] = (120, 40)) -> Tmux:
        session = Tmux(
            f"aar-out-{os.getpid()}-{len(self.sessions)}", self.shell(args, exec_=exec_), size
        )
        self.sessions.append(session)
        return session

    def aar(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(AAR), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **self.env},
            check=False,
        )

    def engine_pid(self) -> int:
        return int(json.loads((self.run_dir / "api.json").read_text())["pid"])

    def state(self) -> str:
        """The run's state as `aar runs` lists it."""
        out = self.aar("runs").stdout
        line = next((ln for ln in out.splitlines() if ln.startswith(self.name)), "")
        return line.split()[2] if line else f"not listed in:\n{out}"


def wait(what: str, ok: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def pane_pid(session: Tmux) -> int:
    out = subprocess.run(
        [*session.tmux, "display-message", "-p", "-t", session.name, "#{pane_pid}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    require(shutil.which("tmux") is not None, "tmux")
    require(AAR.exists(), "the aar command in the virtualenv")
    here = Place(tmp_path)
    try:
        yield here
    finally:
        for session in here.sessions:
            session.kill()
        # The engine outlives its app by design: end the one this test started.
        info = here.run_dir / "api.json"
        if info.exists():
            pid = here.engine_pid()
            if pid_alive(pid):
                os.kill(pid, signal.SIGTERM)
                wait("the engine to finish", lambda: not pid_alive(pid), 90)


def _started(place: Place, session: Tmux) -> int:
    """Wait for the run's agent to be running on `session`; the engine's pid."""
    session.wait_for("the agent running", lambda s: "running" in _row(s, "a1"), timeout=START)
    return place.engine_pid()


def test_detach_leaves_the_run_running_and_attach_brings_it_back(place: Place) -> None:
    app = place.tmux(place.run)
    engine = _started(place, app)
    # Every theme ctrl+t offers draws, the ANSI ones too: five presses leave the app up.
    for _ in range(5):
        app.keys("C-t")
    app.wait_for("the swarm after five themes", lambda s: "running" in _row(s, "a1"), timeout=30)
    assert "EXITED" not in app.screen()

    app.keys("q")
    app.wait_for("the quit question", lambda s: "Leave the supervisor app?" in s, timeout=20)
    app.keys("d")
    left = app.wait_for("the app to exit", lambda s: "EXITED" in s, timeout=30)
    assert "EXITED 0" in left
    assert f"aar attach {place.name}" in left and f"aar report {place.name}" in left
    assert pid_alive(engine) and place.state() == "running"

    again = place.tmux(f"{AAR} attach {place.name}", exec_=True)
    screen = again.wait_for("the run again", lambda s: "running" in _row(s, "a1"), timeout=60)
    assert place.name in screen.splitlines()[0]
    os.kill(pane_pid(again), signal.SIGKILL)
    wait("the killed app to go", lambda: not again.alive(), 30)
    assert pid_alive(engine) and place.state() == "running"

    last = place.tmux(f"{AAR} attach {place.name}")
    last.wait_for("the run again", lambda s: "running" in _row(s, "a1"), timeout=60)
    last.keys("q")
    last.wait_for("the quit question", lambda s: "Finish the run (f)" in s, timeout=20)
    last.keys("f")
    ended = last.wait_for("the app to exit", lambda s: "EXITED" in s, timeout=60)
    assert "EXITED 0" in ended and f"run {place.name} is finishing" in ended
    wait("the engine to finish the run", lambda: not pid_alive(engine), 90)
    assert place.state() == "finished"


def test_the_run_outlives_kill_9_and_a_hang_up_of_its_app(place: Place) -> None:
    app = place.tmux(place.run, exec_=True)
    engine = _started(place, app)
    app_pid = pane_pid(app)
    assert app_pid != engine  # the app is not the engine
    os.kill(app_pid, signal.SIGKILL)
    wait("the killed app to go", lambda: not app.alive(), 30)
    assert pid_alive(engine) and place.state() == "running"

    attached = place.tmux(f"{AAR} attach {place.name}", exec_=True)
    attached.wait_for("the run again", lambda s: "running" in _row(s, "a1"), timeout=60)
    attached_pid = pane_pid(attached)
    attached.kill()  # the terminal goes away: its process is hung up
    wait("the hung-up app to go", lambda: not pid_alive(attached_pid), 30)
    assert pid_alive(engine) and place.state() == "running"
    status = place.aar("ctl", "--run", place.name, "status")
    assert status.returncode == 0 and "(running)" in status.stdout


def test_an_error_in_the_app_is_saved_and_the_run_goes_on(place: Place) -> None:
    # A fault put into the real app: the next-theme key raises, as a broken theme once did.
    inject = (
        "import sys; from aar_tui.app import AarApp;"
        " AarApp.action_next_theme = lambda self: 1 / 0;"
        " from aar_tui.cli import main; sys.argv = ['aar', *sys.argv[1:]]; main()"
    )
    app = place.tmux(f'{sys.executable} -c "{inject}" {place.run.split(" ", 1)[1]}')
    engine = _started(place, app)
    app.keys("C-t")
    ended = app.wait_for("the app to exit", lambda s: "EXITED" in s, timeout=30)
    assert "EXITED 1" in ended
    assert "the supervisor app stopped on an error" in ended
    crashes = list(place.run_dir.glob("app-crash-*.txt"))
    assert len(crashes) == 1 and "ZeroDivisionError" in crashes[0].read_text()
    assert pid_alive(engine) and place.state() == "running"

"""The whole product in a real terminal: `aar run` in tmux, keys sent, the screen read back.

A newcomer's first minute: the agents appear, a submission reaches the leaderboard, a
pause takes effect, and quitting ends the run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import require

AAR = Path(sys.executable).parent / "aar"


class Tmux:
    """A detached session on a tmux server of its own (no user config, its own size)."""

    def __init__(self, name: str, command: str, size: tuple[int, int]) -> None:
        self.name = name
        self.tmux = ["tmux", "-L", name, "-f", "/dev/null"]
        subprocess.run(
            [
                *self.tmux,
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                str(size[0]),
                "-y",
                str(size[1]),
                command,
            ],
            check=True,
        )

    def screen(self) -> str:
        out = subprocess.run(
            [*self.tmux, "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def alive(self) -> bool:
        return (
            subprocess.run(
                [*self.tmux, "has-session", "-t", self.name], capture_output=True, check=False
            ).returncode
            == 0
        )

    def wait_for(self, what: str, ok: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if ok(text):
                return text
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{text}")

    def kill(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, check=False)


@pytest.fixture
def swarm(tmp_path: Path) -> Iterator[Tmux]:
    require(shutil.which("tmux") is not None, "tmux")
    require(AAR.exists(), "the aar command in the virtualenv")
    # COLUMNS and LINES from the test runner would override the terminal's real size.
    env = f"-u COLUMNS -u LINES TERM=xterm-256color COLORTERM=truecolor AAR_CONFIG_DIR={tmp_path}"
    command = (
        f"cd {os.getcwd()} && env {env} {AAR} run --agents 3 --task toy --minutes 10 "
        f"--run-dir {tmp_path / 'run'}; echo EXITED $?; sleep 60"
    )
    session = Tmux(f"aar-e2e-{os.getpid()}", command, (120, 40))
    try:
        yield session
    finally:
        if session.alive() and "EXITED" not in session.screen():
            session.keys("q")
            time.sleep(1)
            session.keys("f")  # the quit question: finish the run
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "EXITED" not in session.screen():
                time.sleep(0.5)
        session.kill()


def _row(text: str, agent: str) -> str:
    return next((line for line in text.splitlines() if re.match(rf"\s*!?\s+{agent}\s", line)), "")


@pytest.mark.slow
def test_run_in_tmux_shows_agents_submissions_and_a_pause(swarm: Tmux) -> None:
    screen = swarm.wait_for(
        "three agents running",
        lambda s: all("running" in _row(s, a) for a in ("a1", "a2", "a3")),
        timeout=150,
    )
    assert "toy" in screen.splitlines()[0]
    assert len(screen.splitlines()) >= 40

    swarm.keys("3")
    board = swarm.wait_for(
        "a scored submission on the leaderboard",
        lambda s: re.search(r"^\s*1\s+#\d+\s+a\d\s+-?\d\.\d{3}", s, re.MULTILINE) is not None,
        timeout=150,
    )
    assert "weak acc" in board

    swarm.keys("1")
    swarm.wait_for("the swarm screen", lambda s: "direction" in s, timeout=10)
    swarm.keys("P")  # hard pause of the selected agent (a1): effective at once
    swarm.wait_for("a1 paused", lambda s: "paused" in _row(s, "a1"), timeout=30)
    swarm.keys("r")
    swarm.wait_for("a1 running again", lambda s: "paused" not in _row(s, "a1"), timeout=30)

    swarm.keys("q")
    swarm.wait_for("the quit question", lambda s: "Finish the run (f)" in s, timeout=20)
    swarm.keys("f")
    ended = swarm.wait_for("aar to exit", lambda s: "EXITED" in s, timeout=90)
    assert "EXITED 0" in ended and "finished" in ended

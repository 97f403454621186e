"""The process that holds a local sandbox's namespaces between commands.

As root with cgroups, a local sandbox is one long-lived bwrap (like a container): commands
enter its namespaces with nsenter, so background jobs outlive the command that started them.
Its keep-alive runs as a root without capabilities, which the sandbox's user can neither
signal nor ptrace.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sandbox.errors import SandboxError

KEEP_ALIVE = ["sleep", "infinity"]
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Holder:
    outer: int  # bwrap outside the namespaces
    init: int  # bwrap's reaper, pid 1 inside
    started: str  # the reaper's start time, so that a reused pid is not taken for it
    keep_alive: int = 0  # the command that keeps the namespaces up

    def alive(self) -> bool:
        return _start_time(self.init) == self.started

    def pids(self) -> frozenset[int]:
        """The holder's own processes, which a timeout spares."""
        return frozenset({self.outer, self.init, self.keep_alive})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Holder | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def start_holder(argv_for: Callable[[int], tuple[list[str], int]], log: Path) -> Holder:
    """Run `argv_for(info_fd)` detached and wait for bwrap to report its reaper's pid.

    `argv_for` gives the command line and the fd that holds bwrap's options, closed here
    once the holder has it. The holder
    gets an empty environment: it lives as long as the sandbox, and nothing of the engine's
    (its API key, its token) should be in a process that the sandbox shares.
    """
    read_end, write_end = os.pipe()
    options_fd: int | None = None
    try:
        argv, options_fd = argv_for(write_end)
        with open(log, "ab") as log_file:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                pass_fds=[write_end, options_fd],
                start_new_session=True,
                cwd="/",
                env={},
            )
    finally:
        os.close(write_end)
        if options_fd is not None:
            os.close(options_fd)
    try:
        info = _read_info(read_end, proc, log)
    finally:
        os.close(read_end)
    init = int(info["child-pid"])
    # bwrap reports its pid before it has built the sandbox's root: only once the
    # keep-alive runs can a command enter a finished root.
    deadline = time.monotonic() + START_TIMEOUT_S
    while (keep_alive := _keep_alive_of(init)) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            error = log.read_text(errors="replace").strip()[-500:]
            raise SandboxError(f"the local sandbox would not start: {error or 'no keep-alive'}")
        time.sleep(0.002)
    return Holder(proc.pid, init, _start_time(init) or "", keep_alive)


def _keep_alive_of(init: int) -> int | None:
    """The reaper's child once it runs the keep-alive (nothing else runs in there yet)."""
    try:
        children = Path(f"/proc/{init}/task/{init}/children").read_text().split()
    except OSError:
        return None
    for pid in children:
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == KEEP_ALIVE[0]:
                return int(pid)
    return None


def _read_info(fd: int, proc: subprocess.Popen, log: Path) -> dict:
    data = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 4096)
            data += chunk
            try:
                return json.loads(data)
            except ValueError:
                if chunk:
                    continue
        if proc.poll() is not None:
            break
    error = log.read_text(errors="replace").strip()[-500:]
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    raise SandboxError(f"the local sandbox would not start: {error or 'bwrap gave no pid'}")


def _start_time(pid: int) -> str | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()[19]


def reap(pid: int) -> None:
    """Collect an exited holder that this process started (a no-op for one it did not)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)

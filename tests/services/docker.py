"""A real Docker engine for tests: the one that already answers, or one started here.

Use it from any test folder's conftest:

    from tests.services.docker import docker_engine  # noqa: F401  (a session fixture)

`docker_engine` yields a `DockerEngine` whose `client` is a docker SDK client. When no
engine answers, it starts `dockerd` with its own data root, exec root, pid file and Unix
socket under a temporary directory (so it clashes with nothing), its output going to a log
file, and stops it at the end of the session. Outside CI a test is skipped when no engine
can be had; under CI=true it fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require

START_TIMEOUT = 60.0


@dataclass
class DockerEngine:
    """A Docker engine that answers at `host`; `started` when this test run started it."""

    host: str
    client: object
    started: bool
    log_path: Path | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)
    _tmp: Path | None = field(default=None, repr=False)

    def stop(self) -> None:
        self.client.close()
        if self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._tmp is not None:
            # vfs layers hold read-only dirs of root; a second pass after unmounting is rare
            subprocess.run(["umount", "-R", str(self._tmp / "exec")], capture_output=True)
            shutil.rmtree(self._tmp, ignore_errors=True)


def _answering_client(host: str | None):
    import docker

    try:
        client = docker.DockerClient(base_url=host) if host else docker.from_env()
        client.ping()
        return client
    except Exception:
        return None


def find_or_start_engine() -> DockerEngine | None:
    """The engine of DOCKER_HOST or the default socket, else a private dockerd, else None."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    client = _answering_client(host)
    if client is not None:
        return DockerEngine(host=host, client=client, started=False)
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        return None
    return _start_private_engine(dockerd)


def _start_private_engine(dockerd: str) -> DockerEngine | None:
    tmp = Path(tempfile.mkdtemp(prefix="aar-dockerd-"))
    socket = tmp / "docker.sock"
    log_path = tmp / "dockerd.log"
    host = f"unix://{socket}"
    argv = [
        dockerd,
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
        "--storage-driver=vfs",
        f"--data-root={tmp / 'data'}",
        f"--exec-root={tmp / 'exec'}",
        f"--pidfile={tmp / 'docker.pid'}",
        f"--host={host}",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        client = _answering_client(host) if socket.exists() else None
        if client is not None:
            return DockerEngine(host, client, True, log_path, proc, tmp)
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    tail = log_path.read_text(errors="replace")[-2000:]
    pytest.fail(
        f"dockerd did not answer within {START_TIMEOUT:.0f}s; its log ends:\n{tail}", pytrace=False
    )
    return None


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    engine = find_or_start_engine()
    require(engine is not None, "a Docker engine (docker.io, run as root to start dockerd)")
    assert engine is not None
    try:
        yield engine
    finally:
        engine.stop()

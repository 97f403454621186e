"""A real OpenSSH server for tests: Debian's sshd on a loopback port, with throwaway keys.

Use it from a test folder's conftest:

    from tests.services.sshd import sshd  # noqa: F401  (a session fixture)

`sshd` yields an `SshServer`: a private sshd (its own host key, an authorized key made for
the test, `UsePAM no`, loopback only) running as the current user, and `config`, an ssh
client config file naming it `aar-test-sshd` with the key and a known_hosts that holds
its host key, so a client needs only `-F config` and touches none of the user's own
files. The server's output goes to a log file; it is stopped at the end of the session.
Outside CI a test is skipped when sshd or ssh is missing; under CI=true it fails.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require

SSHD = "/usr/sbin/sshd"
HOST_ALIAS = "aar-test-sshd"
START_TIMEOUT = 15.0


@dataclass
class SshServer:
    port: int
    user: str
    config: Path  # ssh client config: `ssh -F config aar-test-sshd` logs in
    log: Path
    proc: subprocess.Popen

    @property
    def host(self) -> str:
        return HOST_ALIAS

    def ssh_options(self) -> list[str]:
        return ["-F", str(self.config)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aar-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path.with_suffix(".pub").read_text().strip()


def start_sshd(root: Path) -> SshServer:
    root.chmod(0o700)
    host_key, client_key = root / "host_key", root / "client_key"
    host_pub = _keygen(host_key)
    client_pub = _keygen(client_key)
    (root / "authorized_keys").write_text(client_pub + "\n")
    (root / "authorized_keys").chmod(0o600)
    port = _free_port()
    user = getpass.getuser()
    (root / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"PidFile {root / 'sshd.pid'}\nAuthorizedKeysFile {root / 'authorized_keys'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nAllowTcpForwarding yes\n"
        "AllowStreamLocalForwarding yes\nStreamLocalBindUnlink yes\nMaxSessions 50\n"
        "MaxStartups 50\nLogLevel VERBOSE\n"
        # A client may point the login's runtime dir at a test's own (ssh -o SetEnv=...).
        "AcceptEnv XDG_RUNTIME_DIR\n"
    )
    (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub}\n")
    config = root / "ssh_config"
    config.write_text(
        f"Host {HOST_ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        f"  IdentityFile {client_key}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {root / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n  LogLevel ERROR\n  ConnectTimeout 10\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    log = root / "sshd.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(root / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited at start: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError(f"sshd did not listen on port {port}: {log.read_text()[-2000:]}")
    return SshServer(port=port, user=user, config=config, log=log, proc=proc)


def stop_sshd(server: SshServer) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture(scope="session")
def sshd() -> Iterator[SshServer]:
    require(
        os.path.exists(SSHD)
        and shutil.which("ssh") is not None
        and shutil.which("ssh-keygen") is not None,
        "OpenSSH (sshd, ssh, ssh-keygen)",
    )
    # A short root: the tunnel's sockets and known_hosts paths stay well under limits.
    root = Path(tempfile.mkdtemp(prefix="aar-sshd-"))
    server = start_sshd(root)
    try:
        yield server
    finally:
        stop_sshd(server)
        shutil.rmtree(root, ignore_errors=True)

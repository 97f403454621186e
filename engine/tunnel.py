"""An SSH tunnel to a remote run's API socket, through the system `ssh` client.

Using the system client means `~/.ssh/config`, agents, jump hosts and known_hosts all work
as they do for the user. One master connection (`ssh -M -N`, in a private 0700 folder)
carries everything: a small POSIX shell script run over it finds the run directory and
its socket and prints the token (so the token travels inside the SSH connection and is
never on a command line that `ps` shows), then `ssh -O forward -L local.sock:remote.sock`
adds the forward to the same connection. The local socket is created 0600.

When the master connection drops it is re-established with backoff, to the same local
socket path, so a `RemoteView` on it just reconnects and resumes. Extra ssh options come
from `ssh_options` (`--ssh-option`) and `AAR_SSH_OPTIONS`, both split like a shell would;
only `-F`, `-i`, `-o`, `-J`, `-4`, `-6`, `-v` and `-q` are taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from engine.client import Backoff
from engine.errors import EngineError

CONNECT_TIMEOUT = 30.0
ALLOWED_WITH_VALUE = ("-F", "-i", "-o", "-J")
ALLOWED_FLAGS = ("-4", "-6", "-v", "-q")

# Run on the remote host with the wanted path as $1; prints run dir, socket, token.
RESOLVE_SCRIPT = r"""
set -u
want="${1:-}"
runs="${XDG_DATA_HOME:-$HOME/.local/share}/aar/runs"
alive() {
  [ -f "$1/api.json" ] || return 1
  pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$1/api.json")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}
dir=""
rt="${TMPDIR:-/tmp}/aar-$(id -u)"
[ -n "${XDG_RUNTIME_DIR:-}" ] && rt="$XDG_RUNTIME_DIR/aar"
if [ -z "$want" ]; then
  for info in $(ls -t "$runs"/*/api.json "$rt"/active/*/api.json 2>/dev/null); do
    d=$(dirname "$info")
    if alive "$d"; then dir="$d"; break; fi
  done
  [ -n "$dir" ] || { echo "no running run under $runs on this host" >&2; exit 3; }
else
  for d in "$want" "$HOME/${want#/}" "$runs/${want#/}"; do
    if [ -f "$d/token" ]; then dir="$d"; break; fi
  done
  [ -n "$dir" ] || {
    echo "no run at $want (tried it as a path, under $HOME and $runs)" >&2; exit 3; }
fi
dir=$(cd "$dir" && pwd -P)  # the real directory, not a link to it: shorter socket paths
sock="$dir/api.sock"
[ -f "$dir/api.sock.path" ] && sock=$(cat "$dir/api.sock.path")
[ -S "$sock" ] || {
  echo "the run at $dir is not being served: start it with aar serve" >&2; exit 4; }
printf '%s\n%s\n' "$dir" "$sock"
cat "$dir/token"
"""


@dataclass(frozen=True)
class SshTarget:
    """A run reached through the system `ssh`: `ssh://[user@]host[:port][/path]`."""

    host: str
    user: str | None = None
    port: int | None = None
    path: str = ""  # empty: the newest running run on the host

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"ssh://{user}{self.host}{port}{self.path}"


def ssh_options_from(given: Sequence[str] = (), env: str | None = None) -> list[str]:
    """The ssh arguments from `--ssh-option` values and AAR_SSH_OPTIONS, checked."""
    env = os.environ.get("AAR_SSH_OPTIONS", "") if env is None else env
    words = shlex.split(env) + [w for opt in given for w in shlex.split(opt)]
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        flag, rest = word[:2], word[2:]
        if flag in ALLOWED_WITH_VALUE:
            if rest:
                out += [flag, rest]
            elif i + 1 < len(words):
                out += [flag, words[i + 1]]
                i += 1
            else:
                raise EngineError(f"ssh option {flag} needs a value, e.g. {flag} VALUE")
        elif word in ALLOWED_FLAGS:
            out.append(word)
        else:
            raise EngineError(
                f"ssh option {word!r} is not taken: use -F FILE, -i KEY, -o Key=Value, -J JUMP,"
                " -4, -6, -v or -q"
            )
        i += 1
    return out


class SshTunnel:
    """`async with SshTunnel(target) as t`: `t.local_socket` forwards to the run's socket."""

    def __init__(
        self, target: SshTarget, *, ssh_options: Sequence[str] = (), ssh: str | None = None
    ) -> None:
        self.target = target
        self.options = ssh_options_from(ssh_options)
        self.ssh = ssh or shutil.which("ssh") or "ssh"
        self.token = ""
        self.remote_run_dir = ""
        self.remote_socket = ""
        self.reconnects = 0
        self._dir = Path(tempfile.mkdtemp(prefix="aar-ssh-"))  # 0700, short enough for sun_path
        self.local_socket = self._dir / "api.sock"
        self._control = self._dir / "ctl"
        self._master: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None

    # ---- commands ----------------------------------------------------------------------

    def _destination(self) -> list[str]:
        args = list(self.options)
        if self.target.port:
            args += ["-p", str(self.target.port)]
        if self.target.user:
            args += ["-l", self.target.user]
        return [*args, "--", self.target.host]

    def _mux(self, *args: str) -> list[str]:
        return [self.ssh, "-S", str(self._control), *args, *self._destination()]

    async def _run(self, argv: list[str], stdin: bytes | None = None) -> str:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                out, err = await proc.communicate(stdin)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise EngineError(f"ssh to {self.target} timed out") from None
        if proc.returncode != 0:
            message = err.decode(errors="replace").strip().splitlines()
            raise EngineError(f"ssh to {self.target}: {message[-1] if message else 'failed'}")
        return out.decode()

    # ---- lifecycle ---------------------------------------------------------------------

    async def _start_master(self, stderr: IO[bytes]) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            self.ssh,
            "-M",
            "-S",
            str(self._control),
            "-N",
            "-o",
            "ControlPersist=no",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "ServerAliveInterval=10",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            "StreamLocalBindUnlink=yes",
            "-o",
            "StreamLocalBindMask=0177",
            *self._destination(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )

    async def _connect(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._control.unlink()
        log = self._dir / "ssh.log"  # a file, not a pipe: a chatty ssh (-v) never blocks on it
        with log.open("wb") as stderr:
            self._master = await self._start_master(stderr)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                while not self._control.exists():
                    if self._master.returncode is not None:
                        break
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pass
        if not self._control.exists():
            if self._master.returncode is None:
                self._master.kill()
            await self._master.wait()
            lines = log.read_text(errors="replace").strip().splitlines()
            raise EngineError(
                f"cannot connect to {self.target} with ssh: {lines[-1] if lines else 'timed out'}"
            )
        remote = ["sh", "-s", "--", shlex.quote(self.target.path)]
        answer = await self._run(
            [*self._mux("-T", "-o", "BatchMode=yes"), *remote], stdin=RESOLVE_SCRIPT.encode()
        )
        lines = answer.splitlines()
        if len(lines) < 3 or not lines[2].strip():
            raise EngineError(f"{self.target}: could not read the run's socket and token")
        self.remote_run_dir, self.remote_socket, self.token = lines[0], lines[1], lines[2].strip()
        await self._run(
            self._mux("-O", "forward", "-L", f"{self.local_socket}:{self.remote_socket}")
        )

    async def _keep_up(self) -> None:
        """Re-establish the connection whenever the master ssh exits, until closed."""
        backoff = Backoff(first=0.2, cap=10.0)
        while True:
            assert self._master is not None
            await self._master.wait()
            while True:
                await backoff.wait()
                try:
                    await self._stop_master()
                    await self._connect()
                except (EngineError, OSError):
                    continue  # the host or the network is still away: try again later
                self.reconnects += 1
                backoff.reset()
                break

    async def _stop_master(self) -> None:
        if self._master is not None and self._master.returncode is None:
            self._master.terminate()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._master.wait()
            if self._master.returncode is None:
                self._master.kill()
                await self._master.wait()

    async def kill_connection(self) -> None:
        """Drop the SSH connection as a network failure would (for tests and benches)."""
        if self._master is not None and self._master.returncode is None:
            self._master.kill()

    async def __aenter__(self) -> SshTunnel:
        try:
            await self._connect()
        except BaseException:
            await self.close()
            raise
        self._watch = asyncio.create_task(self._keep_up(), name="ssh-tunnel")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self._stop_master()
        shutil.rmtree(self._dir, ignore_errors=True)

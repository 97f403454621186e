"""TARGET, for `aar attach` and `aar ctl`: which run to reach, and `open_view` to reach it.

A TARGET is one of:

- nothing: the newest running run of those `aar runs` lists (`running_runs`);
- a run name (`NAME`, in the runs directory) or a run directory;
- the path of a run's API socket;
- `http://127.0.0.1:PORT` (the token from `AAR_TOKEN`, or from the local run serving that port);
- `ssh://[user@]host[:port][/path/to/run-dir-or-name]`: through the system `ssh`
  (`engine.tunnel`); no path means the newest running run on that host.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from engine.api.files import (
    ApiInfo,
    active_runs,
    find_socket,
    read_info,
    read_token,
    run_dir_of_socket,
)
from engine.client import RemoteView
from engine.config import default_runs_dir
from engine.errors import EngineError
from engine.tunnel import SshTarget, SshTunnel

FORMS = (
    "a run name, a run directory, a socket path, http://127.0.0.1:PORT "
    "or ssh://[user@]host[:port][/run-dir-or-name]"
)


@dataclass(frozen=True)
class LocalTarget:
    run_dir: Path
    socket: Path


@dataclass(frozen=True)
class HttpTarget:
    url: str


Target = LocalTarget | HttpTarget | SshTarget


def parse_target(text: str | None, runs_dir: Path | None = None) -> Target:
    """The target `text` names; raises EngineError saying which forms are allowed."""
    runs_dir = runs_dir or default_runs_dir()
    if not text:
        return newest_running(runs_dir)
    if text.startswith("ssh://"):
        return _parse_ssh(text)
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        try:
            parts.port  # noqa: B018  (read for its check: urlsplit defers it)
        except ValueError:
            raise EngineError(f"{text!r}: the port must be a number from 1 to 65535") from None
        if not parts.hostname or parts.path not in ("", "/"):
            raise EngineError(f"{text!r} is not an API address: use http://127.0.0.1:PORT")
        return HttpTarget(text.rstrip("/"))
    if "://" in text:
        raise EngineError(f"{text!r}: unknown scheme; a TARGET is {FORMS}")
    path = Path(text).expanduser()
    if not path.exists() and "/" not in text:
        path = runs_dir / text
    if not path.exists():
        raise EngineError(f"no run at {text!r} (not a directory, nor a run under {runs_dir})")
    if stat.S_ISSOCK(path.stat().st_mode):
        return LocalTarget(run_dir_of_socket(path).resolve(), path.resolve())
    if not path.is_dir():
        raise EngineError(f"{text!r} is neither a run directory nor an API socket")
    socket = find_socket(path)
    if socket is None:
        raise EngineError(
            f"the run at {path} is not being served (no API socket): "
            "start it with `aar serve` or `aar run`"
        )
    return LocalTarget(path.resolve(), socket)


def _parse_ssh(text: str) -> SshTarget:
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise EngineError(f"{text!r}: the port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise EngineError(f"{text!r} names no host: use ssh://[user@]host[:port][/run]")
    path = unquote(parts.path)
    return SshTarget(
        host=parts.hostname,
        user=unquote(parts.username) if parts.username else None,
        port=port,
        path="" if path in ("", "/") else path,
    )


def _served_runs(runs_dir: Path) -> list[tuple[Path, ApiInfo]]:
    """Runs whose engine is alive and serving: in `runs_dir`, or listed in the runtime dir."""
    candidates = {p.parent.resolve() for p in runs_dir.glob("*/api.json")} | set(active_runs())
    served = []
    for run_dir in candidates:
        info = read_info(run_dir)
        if info is not None and info.alive():
            served.append((run_dir, info))
    return served


def running_runs(runs_dir: Path) -> list[LocalTarget]:
    """The runs `aar runs` lists as running, newest first: this user's, in `runs_dir`,
    with a live engine serving on a socket (a run elsewhere is reached by naming it)."""
    found: list[tuple[float, LocalTarget]] = []
    for info_path in runs_dir.glob("*/api.json"):
        run_dir = info_path.parent
        info = read_info(run_dir)
        with contextlib.suppress(OSError):
            if (
                (run_dir / "store.sqlite").is_file()
                and info_path.stat().st_uid == os.getuid()
                and info is not None
                and info.alive()
                and (socket := find_socket(run_dir)) is not None
            ):
                found.append((info_path.stat().st_mtime, LocalTarget(run_dir.resolve(), socket)))
    return [target for _, target in sorted(found, key=lambda f: f[0], reverse=True)]


def newest_running(runs_dir: Path, *, only_one: bool = False) -> LocalTarget:
    """The most recently started running run; with `only_one`, an error when several run."""
    found = running_runs(runs_dir)
    if not found:
        raise EngineError(f"no running run in {runs_dir} (see aar runs); give a TARGET: {FORMS}")
    if only_one and len(found) > 1:
        names = ", ".join(t.run_dir.name for t in found)
        raise EngineError(f"{len(found)} runs are running ({names}): say which with --run NAME")
    return found[0]


def _token_for_port(url: str, runs_dir: Path) -> str:
    token = os.environ.get("AAR_TOKEN")
    if token:
        return token.strip()
    port = urlsplit(url).port
    for run_dir, info in _served_runs(runs_dir):
        if info.port == port:
            return read_token(run_dir / "token")
    raise EngineError(
        f"no token for {url}: set AAR_TOKEN to the run's token (the `token` file in its run dir)"
    )


@contextlib.asynccontextmanager
async def open_view(
    target: str | Target | None,
    *,
    ssh_options: Sequence[str] = (),
    issued_by: str | None = None,
    runs_dir: Path | None = None,
    retry_for: float = 10.0,
) -> AsyncIterator[RemoteView]:
    """A connected `RemoteView` of the target run; an ssh tunnel lives as long as the block."""
    runs_dir = runs_dir or default_runs_dir()
    if target is None or isinstance(target, str):
        target = parse_target(target, runs_dir)
    if isinstance(target, LocalTarget):
        token = read_token(target.run_dir / "token")
        view = RemoteView(
            token,
            socket=target.socket,
            where=str(target.run_dir),
            issued_by=issued_by,
            retry_for=retry_for,
        )
        async with view:
            yield view
        return
    if isinstance(target, HttpTarget):
        view = RemoteView(
            _token_for_port(target.url, runs_dir),
            base_url=target.url,
            issued_by=issued_by,
            retry_for=retry_for,
        )
        async with view:
            yield view
        return
    async with SshTunnel(target, ssh_options=ssh_options) as tunnel:
        view = RemoteView(
            tunnel.token,
            socket=tunnel.local_socket,
            where=str(target),
            issued_by=issued_by,
            retry_for=retry_for,
        )
        async with view:
            yield view

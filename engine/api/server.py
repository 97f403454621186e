"""Serving the API from the engine's own event loop: a Unix socket (0600), a TCP port when asked.

`serve_api(view, run_dir, run_id=...)` is an async context manager: it binds the listeners,
writes the token (0600) and `api.json`, serves while the body runs, and on exit stops
serving and removes the socket and `api.json`. The sockets are bound here rather than by
uvicorn, so the Unix socket is never world-writable (uvicorn would chmod it 0666) and
port 0 gives a free port. Uvicorn's own signal handling is turned off: the process that
embeds the API (the TUI or `aar serve`) owns its signals. Its log goes to `api.log` in
the run directory, never to a terminal that a TUI may be drawing on.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from engine.api.app import create_app
from engine.api.files import (
    ApiInfo,
    ensure_token,
    publish_socket,
    register_active,
    remove_files,
    socket_path_for,
    unregister_active,
    write_info,
)
from engine.api.stream import StreamLimits
from engine.errors import EngineError
from engine.view import EngineView

START_TIMEOUT = 10.0


@dataclass
class ApiServer:
    """A serving API: where it listens, and the app (whose `state.stream_stats` counts streams)."""

    run_dir: Path
    token: str
    app: FastAPI
    socket: Path | None = None
    host: str | None = None
    port: int | None = None

    @property
    def url(self) -> str | None:
        if self.port is None:
            return None
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def where(self) -> list[str]:
        places = [f"unix:{self.socket}"] if self.socket else []
        return places + ([self.url] if self.url else [])


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind_unix(path: Path) -> socket.socket:
    if path.exists() or path.is_symlink():
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # left by an engine that did not stop cleanly
        else:
            raise EngineError(f"another engine already serves this run at {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # the socket is created 0600: no window where others may connect
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _bind_tcp(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=128)
    except OSError as exc:
        raise EngineError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _api_logger(run_dir: Path) -> logging.Handler:
    handler = logging.FileHandler(run_dir / "api.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        log = logging.getLogger(name)
        log.addHandler(handler)
        log.propagate = False
        log.setLevel(logging.INFO)
    return handler


@contextlib.asynccontextmanager
async def serve_api(
    view: EngineView,
    run_dir: Path,
    *,
    run_id: str,
    unix: bool = True,
    port: int | None = None,
    host: str | None = None,
    limits: StreamLimits | None = None,
) -> AsyncIterator[ApiServer]:
    """Serve `view` while the body runs: on the run's socket, and on `host:port` when given.

    `host` defaults to 127.0.0.1 when a port is given; a non-loopback host is the caller's
    explicit choice (the CLI warns).
    """
    run_dir = Path(run_dir)
    if port is None and host is not None:
        raise EngineError("--host needs --port: say which port to listen on")
    token = ensure_token(run_dir)
    api = ApiServer(run_dir=run_dir, token=token, app=create_app(view, token, limits=limits))
    sockets: list[socket.socket] = []
    try:
        if unix:
            api.socket = socket_path_for(run_dir)
            sockets.append(_bind_unix(api.socket))
            publish_socket(run_dir, api.socket)
        if port is not None:
            api.host = host or "127.0.0.1"
            sockets.append(_bind_tcp(api.host, port))
            api.port = sockets[-1].getsockname()[1]
    except BaseException:
        for sock in sockets:
            sock.close()
        if unix and sockets:  # ours was bound: remove it (never another engine's socket)
            remove_files(run_dir, api.socket)
        raise
    handler = _api_logger(run_dir)
    config = uvicorn.Config(
        api.app,
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=1,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=sockets), name="api-server")
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
        if task.done():
            task.result()
            raise EngineError("the API server stopped as it started; see api.log in the run dir")
        register_active(run_dir, run_id)
        write_info(
            run_dir,
            ApiInfo(
                run_id=run_id,
                pid=os.getpid(),
                socket=str(api.socket) if api.socket else None,
                port=api.port,
                host=api.host,
            ),
        )
        yield api
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        remove_files(run_dir, api.socket)
        unregister_active(run_dir, run_id)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()

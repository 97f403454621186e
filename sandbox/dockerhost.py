"""Docker clients, one per Docker host URL, configured the same way for every host kind.

`unix://` and `tcp://` hosts are reached directly; `ssh://[user@]host` through the system's
own `ssh` (so ~/.ssh/config, agents and jump hosts work), which lets sandboxes spread over
several GPU machines.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING, Any

from sandbox.errors import BackendUnavailable

if TYPE_CHECKING:
    from docker import DockerClient

# Many sandboxes share one client; each running command holds a connection.
MAX_POOL_SIZE = 128
TIMEOUT_S = 120

_clients: dict[str, DockerClient] = {}
_lock = threading.Lock()


def default_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def client_options(docker_host: str | None) -> dict[str, Any]:
    """The docker SDK's client arguments for a host URL."""
    url = docker_host or default_host()
    return {
        "base_url": url,
        "use_ssh_client": url.startswith("ssh://"),
        "max_pool_size": MAX_POOL_SIZE,
        "timeout": TIMEOUT_S,
    }


def is_local(docker_host: str | None) -> bool:
    return (docker_host or default_host()).startswith("unix://")


def _tolerate_ended_ssh() -> None:
    """Let the SDK's ssh transport close once its `ssh` has ended.

    Its close writes to the ssh's stdin first, which raises BrokenPipeError when the far
    side already hung up (an exec's stream ended, the host went away): the error would
    surface from unrelated calls and at exit. Closing then only needs the process gone.
    """
    from docker.transport import sshconn

    original = sshconn.SSHSocket.close
    if getattr(original, "tolerant", False):
        return

    def close(self: Any) -> None:
        try:
            original(self)
        except OSError:
            if self.proc is not None:
                with contextlib.suppress(OSError):
                    self.proc.terminate()

    # A mark on the function and a patched method: both are what the patch is, not slips.
    close.tolerant = True  # type: ignore[attr-defined]
    sshconn.SSHSocket.close = close  # type: ignore[method-assign]


def docker_client(docker_host: str | None) -> DockerClient:
    """A connected client for the host (cached); blocking, so call it off the event loop."""
    import docker

    url = docker_host or default_host()
    with _lock:
        client = _clients.get(url)
        if client is not None:
            return client
        if url.startswith("ssh://"):
            _tolerate_ended_ssh()
        try:
            client = docker.DockerClient(**client_options(url))
            client.ping()
        except Exception as exc:  # the SDK raises many kinds for "nothing answers"
            raise BackendUnavailable(
                f"no Docker engine answers at {url} ({type(exc).__name__}); start one"
                " (e.g. `systemctl start docker`) or set DOCKER_HOST / the sandbox's docker_host"
            ) from None
        _clients[url] = client
        return client


def close_client(docker_host: str) -> None:
    """Close and forget the cached client of a host (its pooled connections, its ssh)."""
    with _lock:
        client = _clients.pop(docker_host, None)
    if client is not None:
        with contextlib.suppress(OSError):
            client.close()

"""The engine's HTTP API: an `EngineView` served under `/v1` on a Unix socket or loopback port.

`serve_api(view, run_dir, run_id=...)` is what `aar run` and `aar serve` call; `create_app`
builds the app alone (tests, fuzzing). `engine.client.RemoteView` is the client. The names
below are imported on first use, so a client that needs only `engine.api.files` does not
pay for importing the server (FastAPI, uvicorn).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.api.app import SupervisorPost, create_app
    from engine.api.server import ApiServer, is_loopback, serve_api
    from engine.api.stream import StreamLimits

_EXPORTS = {
    "ApiServer": "engine.api.server",
    "is_loopback": "engine.api.server",
    "serve_api": "engine.api.server",
    "StreamLimits": "engine.api.stream",
    "SupervisorPost": "engine.api.app",
    "create_app": "engine.api.app",
}

__all__ = [
    "ApiServer",
    "StreamLimits",
    "SupervisorPost",
    "create_app",
    "is_loopback",
    "serve_api",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'engine.api' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)

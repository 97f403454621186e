"""The engine's HTTP API: an `EngineView` served under `/v1` on a Unix socket or loopback port.

`serve_api(view, run_dir, run_id=...)` is what `aar run` and `aar serve` call; `create_app`
builds the app alone (tests, fuzzing). `engine.client.RemoteView` is the client.
"""

from engine.api.app import SupervisorPost, create_app
from engine.api.server import ApiServer, is_loopback, serve_api
from engine.api.stream import StreamLimits

__all__ = ["ApiServer", "StreamLimits", "SupervisorPost", "create_app", "is_loopback", "serve_api"]

"""A scripted Anthropic Messages API on loopback, for tests and benchmarks of the Claude brain.

The real `anthropic` SDK reaches it through `base_url`; it speaks the real wire format:
`POST /v1/messages` as JSON or as the SSE event sequence (`message_start`,
`content_block_start` / `content_block_delta` / `content_block_stop`, `message_delta`,
`message_stop`) with text, thinking and tool-use blocks, usage fields (input, output,
cache write, cache read tokens), error bodies with their status codes and headers
(`retry-after`), and `GET /v1/models`.

A test scripts what the "model" answers, one item per request, in order:

    api.script(Reply([text("hello"), tool("run_command", {"command": "ls"})]),
               Failure(429, "rate_limit_error", headers={"retry-after": "1"}))

and reads what the client sent in `api.requests`. When the script is empty, `responder`
(a function of the request body) answers; without one, the server answers 500.

Like the real API it checks the shape of a conversation (roles alternate from a user turn,
each tool result answers a tool use of the turn before, at most four cache breakpoints) and
answers 400 when it is wrong (the scripted items, these checks and the reply bodies are in
`messages_wire`), and it simulates prompt caching: a prefix that ends at a
`cache_control` breakpoint and was seen before is read from the cache. Tokens are counted
as characters / 4.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.services.messages_wire import (
    Drop,
    Failure,
    Item,
    Reply,
    Stall,
    bad_tool,
    check,
    deltas,
    message,
    out_tokens,
    segments,
    stop_reason,
    text,
    thinking,
    tokens,
    tool,
)

__all__ = [
    "API_KEY",
    "MODELS",
    "Drop",
    "Failure",
    "MessagesAPI",
    "Recorded",
    "Reply",
    "Stall",
    "bad_tool",
    "text",
    "thinking",
    "tool",
]

API_KEY = "sk-ant-test-key"

MODELS: tuple[dict[str, Any], ...] = (
    {"id": "claude-opus-5", "display_name": "Claude Opus 5", "max_input_tokens": 1_000_000},
    {"id": "claude-sonnet-5", "display_name": "Claude Sonnet 5", "max_input_tokens": 1_000_000},
    {"id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5", "max_input_tokens": 200_000},
)


@dataclass
class Recorded:
    body: dict[str, Any]
    headers: dict[str, str]
    ts: float
    # What the simulated cache gave this request.
    usage: dict[str, int] = field(default_factory=dict)
    # When the answer's last byte was sent (monotonic), to tell server time from client time.
    done: float = 0.0


class MessagesAPI:
    """The server. Use as a context manager; `url` is its base URL for the SDK."""

    def __init__(
        self,
        *,
        responder: Callable[[dict[str, Any]], Item] | None = None,
        models: tuple[dict[str, Any], ...] = MODELS,
        api_key: str = API_KEY,
        context_limit: int | None = None,
        min_cache_tokens: int = 1024,
    ) -> None:
        self.responder = responder
        self.models = models
        self.api_key = api_key
        self.context_limit = context_limit
        self.min_cache_tokens = min_cache_tokens
        self.requests: list[Recorded] = []
        self.model_listings = 0
        self.refused = 0  # requests refused for their key
        self.faults: list[str] = []  # errors of the responder itself
        self.disconnects = 0  # streams the client closed before their end
        self.in_flight = 0
        self.peak_in_flight = 0
        self._script: list[Item] = []
        self._cache: set[str] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- control -------------------------------------------------------------------------

    def script(self, *items: Item) -> MessagesAPI:
        with self._lock:
            self._script.extend(items)
        return self

    @property
    def pending(self) -> int:
        return len(self._script)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MessagesAPI:
        api = self

        class Handler(_Handler):
            server_api = api

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> MessagesAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- answering -----------------------------------------------------------------------

    def _next(self, body: dict[str, Any]) -> Item:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        if self.responder is not None:
            try:
                return self.responder(body)
            except Exception as exc:  # a test's own bug: kept for the test to show
                self.faults.append(f"{type(exc).__name__}: {exc}")
                return Failure(500, "api_error", f"the test's responder failed: {exc}")
        return Failure(500, "api_error", "the test's script is exhausted")

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Input token counts with the simulated prompt cache (read, then written)."""
        total = 0
        marks: list[tuple[str, int]] = []
        digest = hashlib.sha256()
        digest.update(str(body.get("model")).encode())
        for seg, bp in segments(body):
            seg = (
                {k: v for k, v in seg.items() if k != "cache_control"}
                if isinstance(seg, dict)
                else seg
            )
            if isinstance(seg, dict) and isinstance(seg.get("b"), dict):
                seg = {**seg, "b": {k: v for k, v in seg["b"].items() if k != "cache_control"}}
            digest.update(json.dumps(seg, sort_keys=True).encode())
            total += tokens(seg)
            if bp:
                marks.append((digest.hexdigest(), total))
        read = 0
        with self._lock:
            for key, upto in reversed(marks):
                if key in self._cache:
                    read = upto
                    break
            write = 0
            if marks and marks[-1][1] >= self.min_cache_tokens and marks[-1][1] > read:
                write = marks[-1][1] - read
            for key, upto in marks:
                if upto >= self.min_cache_tokens:
                    self._cache.add(key)
        return {
            "input_tokens": total - read - write,
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
        }


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its kept-alive connection is normal; anything else is printed.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Small SSE writes must leave at once, as from a real server; with Nagle's algorithm
    # each would wait for the client's delayed ACK (40 ms), which would swamp every figure.
    disable_nagle_algorithm = True
    server_api: MessagesAPI

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # ---- plumbing ------------------------------------------------------------------------

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_" + uuid.uuid4().hex[:16])
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, kind: str, message: str, headers: dict | None = None) -> None:
        body = {"type": "error", "error": {"type": kind, "message": message}}
        self._send_json(status, body, headers)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _sse(self, event: str, obj: dict[str, Any]) -> None:
        self._chunk(f"event: {event}\ndata: {json.dumps(obj)}\n\n".encode())

    def _authorised(self) -> bool:
        api = self.server_api
        key = self.headers.get("x-api-key") or ""
        bearer = self.headers.get("authorization") or ""
        if key == api.api_key or bearer == f"Bearer {api.api_key}":
            return True
        with api._lock:
            api.refused += 1
        self._error(401, "authentication_error", "invalid x-api-key")
        return False

    # ---- routes --------------------------------------------------------------------------

    def do_GET(self) -> None:
        api = self.server_api
        if not self.path.startswith("/v1/models"):
            self._error(404, "not_found_error", f"no route {self.path}")
            return
        if not self._authorised():
            return
        api.model_listings += 1
        data = [
            {
                "type": "model",
                "created_at": "2026-01-01T00:00:00Z",
                "lifecycle": "active",
                "max_tokens": 64_000,
                **m,
            }
            for m in api.models
        ]
        self._send_json(
            200,
            {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            },
        )

    def do_POST(self) -> None:
        api = self.server_api
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if self.path.split("?")[0] != "/v1/messages":
            self._error(404, "not_found_error", f"no route {self.path}")
            return
        if not self._authorised():
            return
        try:
            body = json.loads(raw)
            check(body)
        except (ValueError, KeyError, TypeError) as exc:
            self._error(400, "invalid_request_error", str(exc))
            return
        record = Recorded(body=body, headers=dict(self.headers), ts=time.monotonic())
        with api._lock:
            api.requests.append(record)
            api.in_flight += 1
            api.peak_in_flight = max(api.peak_in_flight, api.in_flight)
        try:
            self._answer(body, record)
        except (BrokenPipeError, ConnectionResetError):
            with api._lock:
                api.disconnects += 1
        finally:
            record.done = time.monotonic()
            with api._lock:
                api.in_flight -= 1

    def _answer(self, body: dict[str, Any], record: Recorded) -> None:
        api = self.server_api
        item = api._next(body)
        if isinstance(item, Drop):
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if isinstance(item, Stall):
            time.sleep(item.seconds)
            self.close_connection = True
            return
        if isinstance(item, Failure) and not item.midstream:
            self._error(item.status, item.error_type, item.message, item.headers)
            return
        usage = api._usage(body)
        record.usage = usage
        prompt = sum(usage.values())
        if api.context_limit is not None and prompt > api.context_limit:
            self._error(
                400,
                "invalid_request_error",
                f"prompt is too long: {prompt} tokens > {api.context_limit} maximum",
            )
            return
        message_id = "msg_" + uuid.uuid4().hex[:20]
        model = body.get("model", "")
        if not body.get("stream"):
            assert isinstance(item, Reply), "a mid-stream failure needs stream=true"
            self._send_json(200, message(message_id, model, item, usage, final=True))
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", "req_" + uuid.uuid4().hex[:16])
        self.end_headers()
        start = message(message_id, model, item if isinstance(item, Reply) else Reply([]), usage)
        self._sse("message_start", {"type": "message_start", "message": start})
        if isinstance(item, Failure):
            self._sse(
                "error",
                {"type": "error", "error": {"type": item.error_type, "message": item.message}},
            )
            self._chunk(b"")
            return
        self._stream_blocks(item)
        out = item.output_tokens if item.output_tokens is not None else out_tokens(item)
        self._sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason(item), "stop_sequence": None},
                "usage": {"output_tokens": out, **usage},
            },
        )
        self._sse("message_stop", {"type": "message_stop"})
        self._chunk(b"")

    def _pause(self, item: Reply, first: list[bool]) -> None:
        if item.delay:
            time.sleep(item.delay)
        if item.hold is not None and first[0]:
            first[0] = False
            # Keep the connection busy so that a client going away is seen as a broken pipe.
            while not item.hold.wait(0.05):
                self._sse("ping", {"type": "ping"})

    def _stream_blocks(self, item: Reply) -> None:
        first = [True]
        for index, block in enumerate(item.blocks):
            kind = block["type"]
            if kind == "text":
                start = {"type": "text", "text": ""}
            elif kind == "thinking":
                start = {"type": "thinking", "thinking": "", "signature": ""}
            else:
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            self._sse(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
            for delta in deltas(block):
                self._sse(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
                self._pause(item, first)
            self._sse("content_block_stop", {"type": "content_block_stop", "index": index})

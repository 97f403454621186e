"""Bounds on what a request may carry: a body size cap, seqs read strictly, and 422s that encode.

The schema bounds each field (`engine.bounds`); this module bounds the rest. A body over
`MAX_BODY_BYTES` is answered 413 before it is parsed. A seq (`after_seq`, `Last-Event-ID`)
is ASCII digits only: `int()` would take `²`, `+1`, ` 1` or `1_0`. A validation error
echoes the input it refused, which can be NaN (Python's JSON parser reads it), so the 422
is written with non-finite numbers spelt out instead of failing to encode as a 500.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, Field
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.bounds import MAX_ID

# The largest record a client sends is a supervisor post (20,000 characters of body, each
# up to 12 bytes as JSON escapes): 1 MiB holds it with room to spare.
MAX_BODY_BYTES = 1 << 20

_SEQ = re.compile(r"[0-9]{1,19}")


def _ascii_seq(value: Any) -> Any:
    if isinstance(value, str) and not _SEQ.fullmatch(value):
        raise ValueError("a seq is written in the digits 0-9 only, at most 19 of them")
    return value


# An event's seq as a client writes it in a query or a header.
Seq = Annotated[int, BeforeValidator(_ascii_seq), Field(ge=0, le=MAX_ID)]


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` is answered 413 and never parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        # Read the body here (it is small by now) so that a chunked one is bounded too.
        chunks: list[bytes] = []
        size = 0
        first: Message = {"type": "http.request", "body": b"", "more_body": False}
        while True:
            message = await receive()
            if message["type"] != "http.request":
                first = message  # the client went away: let the app see it
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                first = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return first
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the request body is over {self.max_bytes} bytes"
        await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # 'nan', 'inf', '-inf': JSON has no spelling for them
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    """The 422 for a request that does not fit the schema, encodable whatever it echoes."""
    return JSONResponse({"detail": _finite(jsonable_encoder(exc.errors()))}, status_code=422)

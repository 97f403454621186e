"""The Claude brain's errors: each message says what went wrong and what to do."""

from __future__ import annotations

from engine.errors import EngineError


class ModelUnavailable(EngineError):
    """The API kept failing (overloaded, rate limited, unreachable) through every retry of a
    call; the agent backs off, and a streak of these raises `needs_attention`."""


class ModelRequestError(EngineError):
    """The API refused a request as malformed; the step fails, the agent goes on."""

"""A model call with the run's policies around it: the run-wide limit on calls in flight,
retries by the rules of `retry`, and a fatal error for a key the API refuses.

The SDK's own retries are off (see `transport.make_client`); this is the only retry loop.
A slot of the limiter is held only while a request is on the wire, never while waiting
to retry, so a backing-off agent does not keep another from calling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from engine.brains.claude.errors import ModelRequestError, ModelUnavailable
from engine.brains.claude.limiter import CallLimiter
from engine.brains.claude.retry import backoff, classify
from engine.brains.claude.settings import RetryPolicy
from engine.brains.claude.transport import Turn, stream_turn
from engine.errors import BrainFailed


class PromptTooLong(Exception):
    """The API found the prompt longer than the model's context; the brain compacts it."""


async def call_model(
    client: Any,
    limiter: CallLimiter,
    policy: RetryPolicy,
    request: dict[str, Any],
    *,
    on_text: Callable[[str], None],
    on_thinking: Callable[[str], None],
    on_retry: Callable[[str, float], None] = lambda _m, _s: None,
    on_discard: Callable[[], None] = lambda: None,
) -> Turn:
    """One model turn, retried as the policy says. `on_discard` runs when a stream that had
    begun fails, so the caller can mark the text it showed as void."""
    last = ""
    for attempt in range(1, policy.attempts + 1):
        began = False

        def text(t: str) -> None:
            nonlocal began
            began = True
            on_text(t)

        def think(t: str) -> None:
            nonlocal began
            began = True
            on_thinking(t)

        try:
            async with limiter.slot():
                return await stream_turn(client, request, on_text=text, on_thinking=think)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            verdict = classify(exc)
            if began:
                on_discard()
            if verdict.action == "fatal":
                raise BrainFailed(verdict.message) from None
            if verdict.action == "compact":
                raise PromptTooLong(verdict.message) from None
            if verdict.action == "error":
                raise ModelRequestError(verdict.message) from None
            last = verdict.message
            if attempt == policy.attempts:
                break
            wait = backoff(attempt, policy, verdict.retry_after)
            on_retry(verdict.message, wait)
            await asyncio.sleep(wait)
    raise ModelUnavailable(f"the model call failed {policy.attempts} times; last: {last}")

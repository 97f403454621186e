"""What to do about a failed model call: wait and try again, shrink the prompt, or give up.

- 429: wait as long as `retry-after` says (capped), else back off.
- 529 overloaded, any 5xx, an `overloaded_error` / `api_error` sent mid-stream, connection
  errors and timeouts: exponential backoff with full jitter, capped.
- 401 / 403: fatal at once, with what to fix; retrying a bad key only adds noise.
- 400 "prompt is too long": the brain compacts its context and asks again.
- Any other 4xx: a bug on our side; fatal for the call, reported with the API's words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Literal

from engine.brains.claude.settings import RetryPolicy

Action = Literal["retry", "fatal", "compact", "error"]

RETRYABLE_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


@dataclass(frozen=True)
class Verdict:
    action: Action
    message: str
    # Seconds the server asked us to wait (retry-after), if it did.
    retry_after: float | None = None


def _error_type(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("type", ""))
    return ""


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))
    return str(exc)


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    for name in ("retry-after-ms", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            continue  # an HTTP date: rare from this API; back off instead
        return seconds / 1000 if name.endswith("-ms") else seconds
    return None


def classify(exc: BaseException) -> Verdict:
    import anthropic

    if isinstance(exc, anthropic.APIConnectionError):  # timeouts are connection errors too
        kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "connection failed"
        return Verdict("retry", f"the API {kind}: {exc}")
    if not isinstance(exc, anthropic.APIStatusError):
        return Verdict("error", f"{type(exc).__name__}: {exc}")
    status = exc.status_code
    kind = _error_type(exc)
    message = _api_message(exc)
    if status in (401, 403) or kind in ("authentication_error", "permission_error"):
        what = "is not valid" if status == 401 else "may not use this model or API"
        return Verdict(
            "fatal",
            f"the Anthropic API refused the key (HTTP {status}: {message}): the key {what};"
            " check ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL if a gateway is in between)",
        )
    if status == 429:
        return Verdict("retry", f"rate limited (HTTP 429): {message}", _retry_after(exc))
    if status >= 500 or kind in RETRYABLE_TYPES:
        # A mid-stream error arrives on a 200 response; its body says what it is.
        label = f"HTTP {status} {kind}".strip() if status >= 400 else f"mid-stream {kind}"
        return Verdict("retry", f"the API is unavailable ({label}): {message}", _retry_after(exc))
    if status in (400, 413) and "too long" in message.lower():
        return Verdict("compact", f"the prompt is too long: {message}")
    if status == 404 and kind == "not_found_error":
        return Verdict(
            "fatal",
            f"the API does not know this model ({message}); pick one `aar claude check` lists",
        )
    return Verdict("error", f"the API refused the request (HTTP {status} {kind}): {message}")


def backoff(attempt: int, policy: RetryPolicy, retry_after: float | None = None) -> float:
    """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), policy.retry_after_cap)
    ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
    # Jitter: many agents backing off at once spread out instead of returning together.
    return random.uniform(ceiling / 2, ceiling)

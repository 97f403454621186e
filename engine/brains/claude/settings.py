"""The Claude brain's settings: per-call limits, thinking, retries, nudges and context.

Defaults suit a long unattended run; `ClaudeSettings.from_env()` reads the `AAR_CLAUDE_*`
variables the README lists (the SDK's own `ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL`
are read by the SDK itself). A bad value is a `ConfigError` naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

from engine.brains.claude.models import DEFAULT_MODEL
from engine.errors import ConfigError


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed call is retried: `retry-after` when the API gives one, else exponential
    backoff with jitter between `base` and `cap` seconds, at most `attempts` tries."""

    attempts: int = 8
    base: float = 1.0
    cap: float = 60.0
    # The longest `retry-after` obeyed as given; a longer one waits this long and asks again.
    retry_after_cap: float = 300.0
    # Seconds without a byte of the reply before a call counts as timed out.
    timeout: float = 600.0


@dataclass(frozen=True)
class ClaudeSettings:
    model: str = DEFAULT_MODEL
    max_tokens: int = 8192
    # "off", "adaptive", or a token budget for extended thinking.
    thinking: Literal["off", "adaptive"] | int = "off"
    # Model calls in flight across the whole run.
    max_in_flight: int = 8
    # The context the brain lets a conversation use: the model's window, capped here,
    # since every call pays for its whole prompt.
    context_tokens: int = 200_000
    # Share of the context at which old tool outputs are shortened, and at which the
    # conversation is summarised.
    shorten_at: float = 0.6
    summarise_at: float = 0.8
    # Turns without a tool call, or identical failing calls, before the brain asks for help.
    nudges: int = 3
    # Seconds a stuck brain waits for the supervisor before it tries again by itself.
    stuck_wait: float = 300.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def with_model(self, model: str | None) -> ClaudeSettings:
        return replace(self, model=model) if model else self

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ClaudeSettings:
        env = dict(os.environ if env is None else env)
        s = cls()
        if v := env.get("AAR_CLAUDE_MODEL"):
            s = replace(s, model=v)
        if v := env.get("AAR_CLAUDE_MAX_TOKENS"):
            s = replace(s, max_tokens=_int("AAR_CLAUDE_MAX_TOKENS", v, 1, 128_000))
        if v := env.get("AAR_CLAUDE_MAX_IN_FLIGHT"):
            s = replace(s, max_in_flight=_int("AAR_CLAUDE_MAX_IN_FLIGHT", v, 1, 1024))
        if v := env.get("AAR_CLAUDE_CONTEXT_TOKENS"):
            s = replace(s, context_tokens=_int("AAR_CLAUDE_CONTEXT_TOKENS", v, 8_000, 10_000_000))
        if v := env.get("AAR_CLAUDE_THINKING"):
            s = replace(s, thinking=_thinking(v, s.max_tokens))
        return s


def _int(name: str, value: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except ValueError:
        n = lo - 1
    if not lo <= n <= hi:
        raise ConfigError(f"{name}={value!r} is not allowed: use an integer in [{lo}, {hi}]")
    return n


def _thinking(value: str, max_tokens: int) -> Literal["off", "adaptive"] | int:
    v = value.strip().lower()
    match v:
        case "off" | "adaptive" as mode:
            return mode
    allowed = f"use off, adaptive, or a token budget in [1024, {max_tokens - 1}]"
    try:
        budget = int(v)
    except ValueError:
        raise ConfigError(f"AAR_CLAUDE_THINKING={value!r} is not allowed: {allowed}") from None
    if not 1024 <= budget < max_tokens:
        raise ConfigError(f"AAR_CLAUDE_THINKING={value!r} is not allowed: {allowed}")
    return budget

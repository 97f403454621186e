"""When an agent needs a person: a spent budget, a streak of failed steps, no progress for
a while, or a budget nearly spent; the first that holds is the reason given."""

from __future__ import annotations

from engine.config import RunConfig
from engine.events import AttentionReason
from engine.limits import EXPERIMENTS_PER_AGENT, TOKENS_PER_AGENT


def attention_due(
    *,
    budget_reason: str,
    error_streak: int,
    stuck_seconds: float,
    used: tuple[int, int],
    config: RunConfig,
) -> tuple[AttentionReason, str]:
    """(reason, detail) for `needs_attention`; ("", "") when nothing calls for it.

    `used` is the agent's (experiments, tokens) so far."""
    if budget_reason:  # held by a spent budget: that stays the reason until raised
        return "budget", budget_reason
    a = config.attention
    if error_streak >= a.error_streak:
        return "error_streak", f"{error_streak} failed steps in a row"
    if stuck_seconds >= a.stuck_minutes * 60:
        return "stuck", f"no progress for {stuck_seconds / 60:.1f} minutes"
    experiments, tokens = used
    most_experiments = config.limit(EXPERIMENTS_PER_AGENT)
    most_tokens = config.limit(TOKENS_PER_AGENT)
    near = (most_experiments is not None and experiments >= a.budget_near * most_experiments) or (
        most_tokens is not None and tokens >= a.budget_near * most_tokens
    )
    if near:
        return "budget_near", "the agent's budget is nearly spent"
    return "", ""

"""Keeping a conversation inside the model's context window, so it never fails for length.

Before each call the prompt is estimated (from the API's own counts of earlier calls).
Past `shorten_at` of the context, old tool outputs are cut; past `summarise_at`, the model
is asked (in a separate call, without tools) to summarise the research state (best
result, what was tried, open hypotheses, operator instructions), and the history is
replaced by that summary. If that call fails, a summary is built from the conversation
itself, so compaction always succeeds.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from engine.brains.claude import prompt
from engine.brains.claude.caller import call_model
from engine.errors import BrainFailed

if TYPE_CHECKING:
    from engine.brain import StepContext
    from engine.brains.claude.brain import ClaudeBrain

SUMMARY_MAX_TOKENS = 2048


def estimate(brain: ClaudeBrain) -> int:
    """Tokens the next call would use: its prompt and room for its reply."""
    return brain.conversation.estimate_tokens(brain.fixed_chars()) + brain.settings.max_tokens


async def fit_context(brain: ClaudeBrain, ctx: StepContext, *, force: bool = False) -> None:
    limit = brain.context_tokens
    s = brain.settings
    if not force and estimate(brain) < s.shorten_at * limit:
        return
    brain.conversation.shorten_old_outputs()
    if not force and estimate(brain) < s.summarise_at * limit:
        return
    summary = await _summarise(brain, ctx)
    if brain.operator_messages:
        summary += "\n\nOperator messages, word for word:\n" + "\n\n".join(brain.operator_messages)
    brain.conversation.replace_with_summary(summary, brain.direction)
    ctx.say("\n[the conversation neared the context limit and was summarised]\n")


async def _summarise(brain: ClaudeBrain, ctx: StepContext) -> str:
    conv = brain.conversation
    budget_chars = int(brain.context_tokens * 0.5 * conv.chars_per_token)
    request = {
        "model": brain.model,
        "max_tokens": SUMMARY_MAX_TOKENS,
        "system": prompt.summary_instruction(),
        "messages": [
            {
                "role": "user",
                "content": "The conversation to summarise (oldest part may be cut):\n\n"
                + conv.transcript(budget_chars),
            }
        ],
    }
    client, limiter = brain.shared_parts()
    try:
        turn = await call_model(
            client,
            limiter,
            brain.settings.retry,
            request,
            on_text=lambda _t: None,
            on_thinking=lambda _t: None,
        )
    except (asyncio.CancelledError, BrainFailed):
        raise
    except Exception:
        return mechanical_summary(brain)
    brain.record(ctx, turn)
    return turn.text.strip() or mechanical_summary(brain)


def mechanical_summary(brain: ClaudeBrain) -> str:
    """The research state read off the conversation: its tool calls and what they gave."""
    calls: dict[str, str] = {}
    lines: list[str] = []
    for turn in brain.conversation.turns:
        for block in turn["content"]:
            if block.get("type") == "tool_use":
                calls[block["id"]] = f"{block['name']} {json.dumps(block['input'])[:300]}"
            elif block.get("type") == "tool_result":
                content = block.get("content")
                text = content if isinstance(content, str) else json.dumps(content)
                first = " ".join(text.split())[:300]
                mark = "FAILED" if block.get("is_error") else "ok"
                lines.append(f"- {calls.get(block['tool_use_id'], 'a tool')}: {mark}: {first}")
    tried = "\n".join(lines[-60:]) or "- nothing yet"
    return (
        "What was tried (the latest tool calls and the start of what each gave back):\n"
        f"{tried}\n\nCheck the leaderboard and your forum posts for your best result so far."
    )

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine.brains.claude.conversation import Conversation
from engine.brains.claude.prompt import summary_instruction
from engine.brains.claude.transport import Turn
from engine.errors import BrainFailed

SUMMARY_MAX_TOKENS = 2048


@dataclass(frozen=True)
class Room:
    """What the next call has room for, and when to make more."""

    context_tokens: int  # the model's window, or less where the settings say so
    fixed_chars: int  # the system prompt and tools, sent with every call
    reply_tokens: int  # kept free for the reply
    shorten_at: float  # shares of the window
    summarise_at: float


@dataclass(frozen=True)
class Summariser:
    """How to ask the model for a summary: `ask` sends a request without tools and
    accounts for its usage; what it must keep of the conversation, word for word."""

    model: str | None
    ask: Callable[[dict[str, Any]], Awaitable[Turn]]
    direction: str
    operator_messages: list[str]


def estimate(conversation: Conversation, room: Room) -> int:
    """Tokens the next call would use: its prompt and room for its reply."""
    return conversation.estimate_tokens(room.fixed_chars) + room.reply_tokens


async def fit_context(
    conversation: Conversation,
    room: Room,
    summariser: Summariser,
    say: Callable[[str], None],
    *,
    force: bool = False,
) -> None:
    limit = room.context_tokens
    if not force and estimate(conversation, room) < room.shorten_at * limit:
        return
    conversation.shorten_old_outputs()
    if not force and estimate(conversation, room) < room.summarise_at * limit:
        return
    summary = await _summarise(conversation, room, summariser)
    if summariser.operator_messages:
        kept = "\n\n".join(summariser.operator_messages)
        summary += "\n\nOperator messages, word for word:\n" + kept
    conversation.replace_with_summary(summary, summariser.direction)
    say("\n[the conversation neared the context limit and was summarised]\n")


async def _summarise(conversation: Conversation, room: Room, summariser: Summariser) -> str:
    budget_chars = int(room.context_tokens * 0.5 * conversation.chars_per_token)
    request = {
        "model": summariser.model,
        "max_tokens": SUMMARY_MAX_TOKENS,
        "system": summary_instruction(),
        "messages": [
            {
                "role": "user",
                "content": "The conversation to summarise (oldest part may be cut):\n\n"
                + conversation.transcript(budget_chars),
            }
        ],
    }
    try:
        turn = await summariser.ask(request)
    except (asyncio.CancelledError, BrainFailed):
        raise
    except Exception:
        return mechanical_summary(conversation)
    return turn.text.strip() or mechanical_summary(conversation)


def mechanical_summary(conversation: Conversation) -> str:
    """The research state read off the conversation: its tool calls and what they gave."""
    calls: dict[str, str] = {}
    lines: list[str] = []
    for turn in conversation.turns:
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

"""One streamed Messages API call: the SDK client, and a reader that turns the stream's raw
events into text and thinking deltas as they arrive and the finished assistant turn.

The reader keeps its own copy of each block rather than the SDK's accumulated message, so
that a tool use whose streamed input is not valid JSON is kept (with the parse error) for
the brain to answer, instead of failing the whole call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.brains.claude.models import CallUsage

if TYPE_CHECKING:
    import anthropic

KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
KEY_HINT = (
    "set ANTHROPIC_API_KEY to an Anthropic API key (export ANTHROPIC_API_KEY=sk-ant-...;"
    " keys are made at https://console.anthropic.com), or use the offline brain"
)


def has_key(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return any(env.get(k) for k in KEY_VARIABLES)


def make_client(
    *, timeout: float = 600.0, base_url: str | None = None, api_key: str | None = None
) -> anthropic.AsyncAnthropic:
    """An async SDK client; key and base URL come from the SDK's own variables unless given.

    The SDK's own retries are off: the brain's retry policy is the only one, so the two
    never multiply.
    """
    import anthropic

    kwargs: dict[str, Any] = {"max_retries": 0, "timeout": timeout}
    if base_url:
        kwargs["base_url"] = base_url
    if api_key:
        kwargs["api_key"] = api_key
    return anthropic.AsyncAnthropic(**kwargs)


@dataclass
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]
    # Why the streamed input could not be read, if it could not.
    input_error: str | None = None


@dataclass
class Turn:
    """A finished assistant turn: its blocks as the API takes them back, and its usage."""

    content: list[dict[str, Any]]
    stop_reason: str | None
    usage: CallUsage
    tool_uses: list[ToolUse] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.content if b["type"] == "text")


class _Reader:
    def __init__(self, on_text: Callable[[str], None], on_thinking: Callable[[str], None]):
        self.on_text = on_text
        self.on_thinking = on_thinking
        self.blocks: dict[int, dict[str, Any]] = {}
        self.json_parts: dict[int, list[str]] = {}
        self.usage: dict[str, int] = {}
        self.stop_reason: str | None = None

    def _take_usage(self, usage: Any) -> None:
        if usage is None:
            return
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation_input_tokens",
        ):
            value = getattr(usage, name, None)
            if value is not None:
                self.usage[name] = value

    def feed(self, event: Any) -> None:
        kind = event.type
        if kind == "message_start":
            self._take_usage(event.message.usage)
        elif kind == "content_block_start":
            self.blocks[event.index] = event.content_block.model_dump(exclude_none=True)
            if event.content_block.type == "tool_use":
                self.json_parts[event.index] = []
        elif kind == "content_block_delta":
            self._delta(event.index, event.delta)
        elif kind == "message_delta":
            self.stop_reason = event.delta.stop_reason
            self._take_usage(event.usage)

    def _delta(self, index: int, delta: Any) -> None:
        block = self.blocks[index]
        if delta.type == "text_delta":
            block["text"] = block.get("text", "") + delta.text
            self.on_text(delta.text)
        elif delta.type == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.thinking
            self.on_thinking(delta.thinking)
        elif delta.type == "signature_delta":
            block["signature"] = delta.signature
        elif delta.type == "input_json_delta":
            self.json_parts[index].append(delta.partial_json)

    def turn(self) -> Turn:
        content: list[dict[str, Any]] = []
        uses: list[ToolUse] = []
        for index in sorted(self.blocks):
            block = self.blocks[index]
            if block["type"] == "tool_use":
                raw = "".join(self.json_parts.get(index, []))
                parsed, error = _parse_input(raw)
                block = {
                    "type": "tool_use",
                    "id": block["id"],
                    "name": block["name"],
                    "input": parsed,
                }
                uses.append(ToolUse(block["id"], block["name"], parsed, error))
            elif block["type"] == "text":
                block = {"type": "text", "text": block.get("text", "")}
                if not block["text"]:
                    continue  # the API refuses empty text blocks in a request
            content.append(block)
        u = self.usage
        usage = CallUsage(
            input_tokens=u.get("input_tokens", 0),
            output_tokens=u.get("output_tokens", 0),
            cache_read_tokens=u.get("cache_read_input_tokens", 0),
            cache_write_tokens=u.get("cache_creation_input_tokens", 0),
        )
        return Turn(content=content, stop_reason=self.stop_reason, usage=usage, tool_uses=uses)


def _parse_input(raw: str) -> tuple[dict[str, Any], str | None]:
    if not raw.strip():
        return {}, None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return {}, f"the tool input was not valid JSON ({exc}); it began: {raw[:200]!r}"
    if not isinstance(value, dict):
        return {}, f"the tool input must be a JSON object, not {type(value).__name__}"
    return value, None


async def stream_turn(
    client: Any,
    request: dict[str, Any],
    *,
    on_text: Callable[[str], None],
    on_thinking: Callable[[str], None],
) -> Turn:
    """Make one streamed call; deltas go to the callbacks as they arrive. Cancelling the
    caller closes the connection, so the API stops generating (and billing) the reply."""
    reader = _Reader(on_text, on_thinking)
    stream = await client.messages.create(**request, stream=True)
    try:
        async for event in stream:
            reader.feed(event)
    finally:
        await stream.close()
    return reader.turn()

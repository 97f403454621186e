"""The Messages API's wire format for the scripted server: what a test scripts the "model"
to say, the checks the real API makes on a request, and the JSON and SSE bodies of a reply.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

# ---- what the "model" says --------------------------------------------------------------


def text(s: str) -> dict[str, Any]:
    return {"type": "text", "text": s}


def thinking(s: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": s, "signature": "sig-" + uuid.uuid4().hex[:16]}


def tool(name: str, input: dict[str, Any], id: str | None = None) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": id or "toolu_" + uuid.uuid4().hex[:20],
        "name": name,
        "input": input,
    }


def bad_tool(name: str, raw_json: str) -> dict[str, Any]:
    """A tool use whose streamed input is not valid JSON (as a model can emit)."""
    return {
        "type": "tool_use",
        "id": "toolu_" + uuid.uuid4().hex[:20],
        "name": name,
        "raw": raw_json,
    }


@dataclass
class Reply:
    """One assistant turn. `stop_reason` defaults to tool_use when a tool is called."""

    blocks: list[dict[str, Any]]
    stop_reason: str | None = None
    output_tokens: int | None = None
    # Seconds between two stream events (a slow model).
    delay: float = 0.0
    # When given, the stream stalls after its first delta until the event is set.
    hold: threading.Event | None = None


@dataclass
class Failure:
    """An error answer: an HTTP status with the API's error body, or (`midstream`) an SSE
    `error` event after `message_start`, as the API sends when it overloads mid-reply."""

    status: int
    error_type: str
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)
    midstream: bool = False


@dataclass
class Drop:
    """Close the connection without answering (a connection error)."""


@dataclass
class Stall:
    """Answer nothing for `seconds` (a timeout on the client's side), then close."""

    seconds: float


Item = Reply | Failure | Drop | Stall


# ---- the checks the real API makes --------------------------------------------------


class ContentError(ValueError):
    pass


def tokens(obj: Any) -> int:
    return max(1, len(json.dumps(obj, separators=(",", ":"))) // 4)


def segments(body: dict[str, Any]) -> list[tuple[Any, bool]]:
    """The prompt in cache order (tools, system, messages' blocks), each with its breakpoint."""
    out: list[tuple[Any, bool]] = []
    for t in body.get("tools") or []:
        out.append((t, "cache_control" in t))
    system = body.get("system")
    if isinstance(system, str):
        out.append((system, False))
    elif system:
        for block in system:
            out.append((block, "cache_control" in block))
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str):
            out.append(({"role": m["role"], "text": content}, False))
            continue
        for i, block in enumerate(content):
            out.append(({"role": m["role"], "i": i, "b": block}, "cache_control" in block))
    return out


def check(body: dict[str, Any]) -> None:
    """The checks the real API makes that a client can get wrong."""
    if not isinstance(body.get("max_tokens"), int):
        raise ContentError("max_tokens: Field required")
    messages = body.get("messages")
    if not messages or messages[0].get("role") != "user":
        raise ContentError("messages: the first message must use the `user` role")
    previous_tool_ids: set[str] = set()
    for n, m in enumerate(messages):
        if n and m["role"] == messages[n - 1]["role"]:
            raise ContentError(f"messages.{n}: roles must alternate between user and assistant")
        content = m["content"] if isinstance(m["content"], list) else [{"type": "text"}]
        if not content:
            raise ContentError(f"messages.{n}: content must not be empty")
        if m["role"] == "user":
            answered = {b["tool_use_id"] for b in content if b.get("type") == "tool_result"}
            if answered - previous_tool_ids:
                raise ContentError(f"messages.{n}: tool_result for an unknown tool_use id")
            if previous_tool_ids - answered:
                raise ContentError(
                    f"messages.{n}: tool_use ids were found without tool_result blocks"
                    f" immediately after: {sorted(previous_tool_ids - answered)}"
                )
            previous_tool_ids = set()
        else:
            previous_tool_ids = {b["id"] for b in content if b.get("type") == "tool_use"}
            for b in content:
                if b.get("type") == "tool_use" and not isinstance(b.get("input"), dict):
                    raise ContentError(f"messages.{n}: tool_use.input must be an object")
    if previous_tool_ids:
        raise ContentError("the last assistant turn's tool_use blocks have no tool_result")
    n = sum(1 for _s, bp in segments(body) if bp)
    if n > 4:
        raise ContentError(f"A maximum of 4 blocks with cache_control may be provided: {n}")


# ---- reply bodies -------------------------------------------------------------------


def _pieces(s: str, n: int = 3) -> list[str]:
    """A string cut in up to `n` pieces, as a model streams it."""
    if not s:
        return []
    size = max(1, -(-len(s) // n))
    return [s[i : i + size] for i in range(0, len(s), size)]


def deltas(block: dict[str, Any]) -> list[dict[str, Any]]:
    kind = block["type"]
    if kind == "text":
        return [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
    if kind == "thinking":
        return [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"])] + [
            {"type": "signature_delta", "signature": block["signature"]}
        ]
    raw = block["raw"] if "raw" in block else json.dumps(block["input"])
    return [{"type": "input_json_delta", "partial_json": p} for p in _pieces(raw)]


def stop_reason(item: Reply) -> str:
    if item.stop_reason:
        return item.stop_reason
    return "tool_use" if any(b["type"] == "tool_use" for b in item.blocks) else "end_turn"


def out_tokens(item: Reply) -> int:
    return max(1, sum(tokens(b) for b in item.blocks))


def message(
    message_id: str, model: str, item: Reply, usage: dict[str, int], final: bool = False
) -> dict[str, Any]:
    content = []
    if final:
        for b in item.blocks:
            b = dict(b)
            if "raw" in b:
                b["input"] = {}
                del b["raw"]
            content.append(b)
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(item) if final else None,
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": out_tokens(item) if final else 1},
    }

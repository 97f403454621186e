"""Events and tool calls in a few words, for panes, the transcript and the events screen."""

from __future__ import annotations

import json
from typing import Any

# The tool input that says most about a call, per tool; other tools show their input.
_HEADLINE = ("cmd", "command", "path", "query", "title", "config", "post_id", "digest")


# Keys of a method config that say most about it, shown first.
_FIRST_KEYS = ("method", "loss", "labels", "lr", "epochs")


def compact(obj: dict[str, Any]) -> str:
    """A dict as `key=value` words, the telling keys of a method config first."""
    keys = [k for k in _FIRST_KEYS if k in obj] + sorted(k for k in obj if k not in _FIRST_KEYS)
    return " ".join(f"{k}={_scalar(obj[k])}" for k in keys)


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str | int | bool) or value is None:
        return str(value)
    return json.dumps(value, default=str)


def describe_method(text: str, width: int = 90) -> str:
    """A submission's method: a JSON config made readable, any other text as it is."""
    try:
        obj = json.loads(text)
    except ValueError:
        return short(text, width)
    return short(obj if isinstance(obj, dict) else text, width)


def short(value: Any, width: int = 80) -> str:
    """A one-line rendering cut to `width` characters (dicts as `key=value` words)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict):
        text = compact(value)
    else:
        text = json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def describe_call(tool: str, tool_input: dict[str, Any]) -> str:
    """A tool call as the swarm table's "step" column and a pane's line show it."""
    if tool in ("run_command", "bash", "exec") and tool_input:
        cmd = next((tool_input[k] for k in ("cmd", "command") if k in tool_input), tool_input)
        if isinstance(cmd, list):
            cmd = " ".join(map(str, cmd))
        return "$ " + short(cmd, 70)
    for key in _HEADLINE:
        if key in tool_input:
            return f"{tool} {short(tool_input[key], 60)}"
    return f"{tool} {short(tool_input, 60)}" if tool_input else tool


def _pgr(score: Any) -> str:
    if score is None:
        return "no score"
    pgr = "n/a" if score.pgr is None else f"{score.pgr:.3f}"
    return f"acc {score.accuracy:.3f} PGR {pgr}"


def describe_event(p: Any) -> str:
    """One line for any event payload (the events screen, and panes for the rarer kinds)."""
    kind = p.kind
    if kind == "run_state":
        return f"run {p.state}" + (f": {p.reason}" if p.reason else "")
    if kind == "agent_added":
        return f"joined: {p.brain} brain, direction {short(p.direction, 60)}"
    if kind == "agent_state":
        return f"{p.previous or '?'} → {p.state}" + (f": {p.reason}" if p.reason else "")
    if kind == "agent_attention":
        flag = "needs attention" if p.needs_attention else "attention cleared"
        return f"{flag} {p.reason} {p.detail}".strip()
    if kind in ("text_delta", "thinking_delta"):
        return short(p.text, 120)
    if kind == "tool_call":
        return "▶ " + describe_call(p.tool, p.input)
    if kind == "tool_result":
        status = "ok" if p.ok else f"error: {short(p.error or '', 80)}"
        first = short(p.output, 60) if p.ok and p.output else ""
        return f"◀ {p.tool} {status} ({p.duration:.1f}s) {first}".rstrip()
    if kind == "command_output":
        return f"[{p.stream}] {p.line}"
    if kind == "experiment_started":
        return f"⚗ experiment #{p.experiment_id} started {short(p.config, 60)}"
    if kind == "experiment_finished":
        if not p.ok:
            return f"✗ experiment #{p.experiment_id} failed: {short(p.error or '', 80)}"
        reused = " (reused)" if p.reused else ""
        return (
            f"✓ experiment #{p.experiment_id}{reused} {p.duration:.1f}s {short(p.diagnostics, 70)}"
        )
    if kind == "forum_post":
        return f"✎ {p.post.kind} #{p.post.id} by {p.post.author}: {short(p.post.title, 60)}"
    if kind == "submission":
        flags = f" [{', '.join(p.flags)}]" if p.flags else ""
        return f"★ submission #{p.submission_id} {_pgr(p.public)}{flags}"
    if kind == "submission_voided":
        return f"submission #{p.submission_id} voided by {p.by}: {p.reason}"
    if kind == "private_revealed":
        return f"private scores revealed by {p.by} ({len(p.scores)} submissions)"
    if kind == "command":
        name = p.command.get("command", "?")
        detail = p.command.get("text") or p.command.get("direction") or ""
        why = f": {p.reason}" if p.reason else ""
        return f"» {name} by {p.issued_by} {p.status}{why} {short(detail, 60)}".rstrip()
    if kind == "budget":
        return "budget " + short(p.budgets, 100)
    if kind == "watch_flag":
        return f"⚑ watch: {p.what}: {short(p.detail, 90)}"
    if kind == "sandbox_stats":
        return f"cpu {p.cpu_percent:.0f}% mem {p.memory_bytes / 2**20:.0f} MiB pids {p.pids}"
    if kind == "usage":
        return f"usage {p.tokens_in}+{p.tokens_out} tokens ${p.cost_usd:.4f}"
    if kind == "error":
        where = f" in {p.where}" if p.where else ""
        return f"✖ error{where}: {p.message}" + (" (fatal)" if p.fatal else "")
    return short(p.model_dump(), 100)

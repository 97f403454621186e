"""Events and tool calls in a few words, for panes, the transcript and the events screen."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.events import ExperimentFinishedPayload, Score

from engine.texts import TELLING_FIELDS, config_text, pgr_text

# The tool input that says most about a call, per tool; other tools show their input.
_HEADLINE = ("cmd", "command", "path", "query", "title", "config", "post_id", "digest")


def compact(obj: dict[str, Any]) -> str:
    """A dict as `key=value` words, the telling keys of a method config first."""
    return config_text(obj, every_field=True)


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


def _pgr(score: Score | None) -> str:
    if score is None:
        return "no score"
    return f"acc {score.accuracy:.3f} PGR {pgr_text(score.pgr)}"


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
        limits = {k: v for k, v in p.limits.model_dump().items() if v is not None}
        return "budget " + short(p.spend.model_dump() | limits, 100)
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


# The diagnostic that says most about a finished experiment, and the word it is shown as.
_TELLING = (
    ("agreement_with_weak_labels", "agreement"),
    ("train_loss_last_epoch", "train loss"),
    ("train_loss", "train loss"),
)


# More changed fields than this are counted rather than listed.
_MOST_CHANGES = 3


def _ordered(keys: set[str]) -> list[str]:
    return [k for k in TELLING_FIELDS if k in keys] + sorted(keys - set(TELLING_FIELDS))


def describe_config(
    config: dict[str, Any], previous: tuple[int, dict[str, Any]] | None = None
) -> str:
    """A method config as a person scans it: the method, then what differs from the agent's
    previous experiment ("confident, fraction 0.47 (from #9: +fraction)"), or for a first
    experiment its loss and learning rate."""
    words = [str(config["method"])] if "method" in config else []
    if previous is None:
        words += [f"{k} {_scalar(config[k])}" for k in ("loss", "lr") if k in config]
        return short(", ".join(words), 70)
    before_id, before = previous
    changed = {k for k in set(config) | set(before) if config.get(k) != before.get(k)}
    if len(changed - {"method"}) > _MOST_CHANGES:  # a new start, not a step: say so in short
        words += [f"{k} {_scalar(config[k])}" for k in ("loss", "lr") if k in config]
        return short(", ".join(words), 60) + f" (from #{before_id}: {len(changed)} fields differ)"
    words += [f"{k} {_scalar(config[k])}" for k in _ordered(changed - {"method"}) if k in config]
    notes = []
    for k in _ordered(changed):
        if k not in before:
            notes.append(f"+{k}")
        elif k not in config:
            notes.append(f"-{k}")
        else:
            notes.append(f"{k} was {short(_scalar(before[k]), 20)}")
    note = f"from #{before_id}: {', '.join(notes)}" if notes else f"same as #{before_id}"
    return short(", ".join(words), 60) + f" ({short(note, 60)})"


def describe_outcome(p: ExperimentFinishedPayload) -> str:
    """A finished experiment's result: its telling diagnostic and how long it took."""
    if not p.ok:
        return f"failed: {short(p.error or 'no reason given', 80)}"
    diag = p.diagnostics or {}
    found = next(((word, diag[k]) for k, word in _TELLING if _is_number(diag.get(k))), None)
    if found is None:
        found = next(((k.replace("_", " "), v) for k, v in diag.items() if _is_number(v)), None)
    result = f"{found[0]} {found[1]:.2f}, " if found else ""
    return f"→ {result}{p.duration:.1f} s" + (" (reused)" if p.reused else "")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

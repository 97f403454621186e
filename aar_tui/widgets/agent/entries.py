"""An agent's transcript as entries (answers, thinking, records, one-line events), no widgets.

Events become entries in order: streamed text joins the entry it continues, a tool call or
an experiment is a record whose output and result land in it later. Each entry knows the
screen rows it takes at a width, so a view can draw any row of a transcript of any length
without building the rest (see `Transcript`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aar_tui.describe import describe_call, describe_config, describe_event, describe_outcome
from aar_tui.widgets.agents.pane import wrap

if TYPE_CHECKING:
    from engine.events import Event

# Output kept per record; the rest is counted.
CALL_OUTPUT_LINES = 400
# Events with no place in a transcript: figures that the side panel shows.
_SKIPPED = frozenset({"sandbox_stats", "usage", "budget"})
_SHELL = ("run_command", "bash", "exec")

Row = tuple[str, str]  # (style key, text)


@dataclass(eq=False)
class Entry:
    """One block of the transcript. `kind`: text, thinking, record or line."""

    kind: str
    text: str = ""  # the answer, the thinking, the line, or a record's title
    style: str = "text"
    # Lines, and records (a config, diagnostics) written out only when unfolded.
    body: list[tuple[str, Any]] = field(default_factory=list)
    dropped: int = 0
    folded: bool = True
    _parts: list[str] = field(default_factory=list)
    _cache: tuple[tuple[int, bool, bool, int], list[Row]] | None = None
    version: int = 0

    def extend(self, text: str) -> None:
        self._parts.append(text)
        self.version += 1

    def full_text(self) -> str:
        if self._parts:  # deltas are joined once when drawn, not on every delta
            self.text += "".join(self._parts)
            self._parts.clear()
        return self.text

    def add(self, style: str, line: Any) -> None:
        """Add a line of output, or a record (a dict) to show as JSON."""
        if len(self.body) >= CALL_OUTPUT_LINES:
            self.dropped += 1
        else:
            self.body.append((style, line))
        self.version += 1

    def retitle(self, title: str) -> None:
        self.text = title
        self.version += 1

    def rows(self, width: int, thinking: bool = True) -> list[Row]:
        """The screen rows of this entry at `width` (cached until it changes)."""
        key = (width, self.folded, thinking, self.version)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        rows = self._rows(width, thinking)
        self._cache = (key, rows)
        return rows

    def _rows(self, width: int, thinking: bool) -> list[Row]:
        if self.kind in ("text", "thinking"):
            if self.kind == "thinking" and not thinking:
                return []
            text = self.full_text()
            mark = "▌ " if self.kind == "thinking" else ""
            rows: list[Row] = [("text", "")]  # a blank row before each answer
            for line in text.rstrip("\n").split("\n"):
                rows += [(self.kind, mark + piece) for piece in wrap(line, width - len(mark))]
            return rows
        if self.kind == "line":
            return [(self.style, piece) for piece in wrap(self.text, width)]
        title = ("▶ " if self.folded else "▼ ") + self.text
        rows = [("title", piece) for piece in wrap(title, width)]
        if not self.folded:
            for style, item in self.body:
                lines = [item] if isinstance(item, str) else _json_lines(item)
                for line in lines:
                    rows += [(style, "  " + piece) for piece in wrap(line, max(1, width - 2))]
            if self.dropped:
                rows.append(("out", f"  … {self.dropped} more line(s) not shown"))
        return rows


def _json_lines(record: Any) -> list[str]:
    return json.dumps(record, indent=2, default=str).splitlines()


@dataclass
class TranscriptLog:
    """The entries made from one agent's events, fed in order; see the module docstring."""

    entries: list[Entry] = field(default_factory=list)
    last_seq: int = 0
    _open: Entry | None = None
    _calls: dict[str, Entry] = field(default_factory=dict)
    # Experiments in flight (entry, config, description) and the last one finished.
    _experiments: dict[int, tuple[Entry, dict[str, Any], str]] = field(default_factory=dict)
    _last_config: tuple[int, dict[str, Any]] | None = None

    def add_events(self, events: list[Event]) -> set[int]:
        """Feed events; answers the indexes of entries that changed or were added."""
        touched: set[int] = set()
        for ev in events:
            if ev.seq <= self.last_seq:
                continue
            self.last_seq = ev.seq
            touched |= {self._index(entry) for entry in self._apply(ev.payload)}
        return touched

    def _index(self, entry: Entry) -> int:
        # Changes land in recent entries, so the search from the end is short.
        for i in range(len(self.entries) - 1, -1, -1):
            if self.entries[i] is entry:
                return i
        raise ValueError("entry not in the transcript")

    def _new(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        return entry

    def _apply(self, p: Any) -> list[Entry]:
        kind = p.kind
        if kind in ("text_delta", "thinking_delta"):
            style = "thinking" if kind == "thinking_delta" else "text"
            if self._open is None or self._open.kind != style:
                self._open = self._new(Entry(style))
            self._open.extend(p.text)
            return [self._open]
        self._open = None
        if kind == "tool_call":
            entry = self._new(Entry("record", describe_call(p.tool, p.input), "tool"))
            entry.add("tool", p.input)
            self._calls[p.call_id] = entry
            return [entry]
        if kind in ("command_output", "tool_result") and p.call_id in self._calls:
            entry = self._calls[p.call_id]
            if kind == "command_output":
                entry.add("err" if p.stream == "stderr" else "out", p.line)
                return [entry]
            entry.add("good" if p.ok else "bad", describe_event(p))
            if p.output and p.tool not in _SHELL:
                for line in p.output.splitlines():
                    entry.add("out", line)
            entry.retitle(f"{entry.text}  {'✓' if p.ok else '✗'} {p.duration:.1f}s")
            del self._calls[p.call_id]
            return [entry]
        if kind == "experiment_started":
            about = describe_config(p.config, self._last_config)
            entry = self._new(Entry("record", f"⚗ exp #{p.experiment_id} {about} …", "tool"))
            entry.add("tool", p.config)
            self._experiments[p.experiment_id] = (entry, p.config, about)
            return [entry]
        if kind == "experiment_finished" and p.experiment_id in self._experiments:
            entry, config, about = self._experiments.pop(p.experiment_id)
            self._last_config = (p.experiment_id, config)
            mark = "✓" if p.ok else "✗"
            entry.retitle(f"{mark} exp #{p.experiment_id} {about} {describe_outcome(p)}")
            entry.add("good" if p.ok else "bad", p.diagnostics)
            return [entry]
        if kind in _SKIPPED:
            return []
        changed: list[Entry] = []
        if kind == "agent_state" and p.state in ("paused", "stopped", "failed"):
            for exp_id, (entry, _config, about) in self._experiments.items():
                entry.retitle(f"✗ exp #{exp_id} cut short ({p.state}): {about}")
                changed.append(entry)
            self._experiments.clear()
        style = "bad" if kind == "error" else "state" if kind == "agent_state" else "cmd"
        return [*changed, self._new(Entry("line", describe_event(p), style))]

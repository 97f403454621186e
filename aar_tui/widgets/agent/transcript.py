"""An agent's transcript: answers, thinking apart, tool calls folded with their output."""

from __future__ import annotations

import json

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Static

from aar_tui.describe import describe_call, describe_config, describe_event, describe_outcome
from aar_tui.look import line_style

# Output kept per tool call in the transcript; the rest is summarised.
CALL_OUTPUT_LINES = 400


class TextBlock(Static):
    """Streamed model text (an answer) or thinking, joined from its deltas."""

    DEFAULT_CSS = """
    TextBlock { margin: 1 0 0 0; }
    TextBlock.-thinking { color: $text-muted; text-style: italic;
                          border-left: outer $secondary; padding-left: 1; }
    """

    def __init__(self, thinking: bool) -> None:
        super().__init__("", classes="-thinking" if thinking else "")
        self.thinking = thinking
        self.text = ""

    def extend(self, text: str) -> None:
        self.text += text
        self.update(Text(self.text))


class ToolBlock(Collapsible):
    """One tool call, folded; unfolding shows its input, streamed output and result."""

    DEFAULT_CSS = """
    ToolBlock { margin: 0; padding: 0; border: none; }
    ToolBlock > Contents { padding: 0 0 0 2; }
    """

    def __init__(self, title: str) -> None:
        self.body = Static("")
        self.lines: list[tuple[str, str]] = []
        self.dropped = 0
        super().__init__(self.body, title=title, collapsed=True)

    def add(self, kind: str, line: str) -> None:
        if len(self.lines) >= CALL_OUTPUT_LINES:
            self.dropped += 1
            return
        self.lines.append((kind, line))

    def draw(self) -> None:
        theme = self.app.current_theme
        text = Text()
        for i, (kind, line) in enumerate(self.lines):
            if i:
                text.append("\n")
            text.append(line, style=line_style(theme, kind))
        if self.dropped:
            text.append(f"\n… {self.dropped} more line(s) not shown")
        self.body.update(text)


class Transcript(VerticalScroll, can_focus=True):
    """Fed with an agent's events in order; keeps to the bottom while the user is there."""

    DEFAULT_CSS = """
    Transcript { padding: 0 1; }
    Transcript .line { height: auto; }
    Transcript.-no-thinking TextBlock.-thinking { display: none; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.last_seq = 0
        self._open: TextBlock | None = None
        self._calls: dict[str, ToolBlock] = {}
        # Experiments in flight (block, config, description) and the last one finished.
        self._experiments: dict[int, tuple[ToolBlock, dict, str]] = {}
        self._last_config: tuple[int, dict] | None = None

    def add_events(self, events: list) -> None:
        follow = self.scroll_y >= self.max_scroll_y - 1
        new: list[Static | Collapsible] = []
        touched: set[ToolBlock] = set()
        theme = self.app.current_theme
        for ev in events:
            if ev.seq <= self.last_seq:
                continue
            self.last_seq = ev.seq
            p = ev.payload
            kind = p.kind
            if kind in ("text_delta", "thinking_delta"):
                thinking = kind == "thinking_delta"
                if self._open is None or self._open.thinking != thinking:
                    self._open = TextBlock(thinking)
                    new.append(self._open)
                self._open.extend(p.text)
                continue
            self._open = None
            if kind == "tool_call":
                block = ToolBlock(describe_call(p.tool, p.input))
                for line in json.dumps(p.input, indent=2, default=str).splitlines():
                    block.add("tool", line)
                self._calls[p.call_id] = block
                new.append(block)
                touched.add(block)
            elif kind in ("command_output", "tool_result") and p.call_id in self._calls:
                block = self._calls[p.call_id]
                if kind == "command_output":
                    block.add("err" if p.stream == "stderr" else "out", p.line)
                else:
                    block.add("good" if p.ok else "bad", describe_event(p))
                    if p.output and p.tool not in ("run_command", "bash", "exec"):
                        for line in p.output.splitlines():
                            block.add("out", line)
                    block.title = f"{block.title}  {'✓' if p.ok else '✗'} {p.duration:.1f}s"
                touched.add(block)
            elif kind == "experiment_started":
                about = describe_config(p.config, self._last_config)
                block = ToolBlock(f"⚗ exp #{p.experiment_id} {about} …")
                for line in json.dumps(p.config, indent=2, default=str).splitlines():
                    block.add("tool", line)
                self._experiments[p.experiment_id] = (block, p.config, about)
                new.append(block)
                touched.add(block)
            elif kind == "experiment_finished" and p.experiment_id in self._experiments:
                block, config, about = self._experiments.pop(p.experiment_id)
                self._last_config = (p.experiment_id, config)
                mark = "✓" if p.ok else "✗"
                block.title = f"{mark} exp #{p.experiment_id} {about} {describe_outcome(p)}"
                for line in json.dumps(p.diagnostics, indent=2, default=str).splitlines():
                    block.add("good" if p.ok else "bad", line)
                touched.add(block)
            elif kind not in ("sandbox_stats", "usage", "budget"):
                if kind == "agent_state" and p.state in ("paused", "stopped", "failed"):
                    for exp_id, (block, _config, about) in self._experiments.items():
                        block.title = f"✗ exp #{exp_id} cut short ({p.state}): {about}"
                    self._experiments.clear()
                style = "bad" if kind == "error" else "state" if kind == "agent_state" else "cmd"
                new.append(
                    Static(Text(describe_event(p), style=line_style(theme, style)), classes="line")
                )
        if new:
            self.mount_all(new)
        for block in touched:
            self.call_after_refresh(block.draw)
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def set_folded(self, folded: bool) -> None:
        for block in self.query(ToolBlock):
            block.collapsed = folded

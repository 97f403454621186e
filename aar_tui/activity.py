"""The tail of one agent's activity as lines, kept in a bounded buffer for its live pane.

Model text arrives in small deltas; the buffer joins them into lines so a pane can show
the text as it streams. Each line has a style key (what it is), which a pane maps to the
theme's colours when it draws, so the buffer holds no colours and needs no redraw to
change theme.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Lines kept per agent: a pane shows at most a screenful, the rest is for resizing.
PANE_LINES = 200
# A line longer than this is cut: a pane never shows more than one terminal width.
MAX_LINE = 400

# Control characters (a command's escape codes, bells) would garble a pane: dropped.
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {127: None}

# Style keys a pane knows how to draw.
STYLES = ("text", "thinking", "tool", "out", "err", "state", "good", "bad", "cmd")


def clean(text: str) -> str:
    """Text safe to draw in a cell grid: tabs expanded, control characters dropped."""
    return text.translate(_CONTROL).expandtabs(4) if not text.isprintable() else text


@dataclass
class ActivityBuffer:
    """Bounded lines plus the line being streamed; `version` grows on every change."""

    lines: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=PANE_LINES))
    partial: str = ""
    partial_style: str = ""
    version: int = 0

    def add_line(self, style: str, text: str) -> None:
        text = clean(text)
        self._close_partial()
        for part in text.splitlines() or [""]:
            self.lines.append((style, part[:MAX_LINE]))
        self.version += 1

    def stream(self, style: str, text: str) -> None:
        """Append a delta of streamed text; a change of style starts a new line."""
        text = clean(text)
        if self.partial_style and self.partial_style != style:
            self._close_partial()
        self.partial_style = style
        chunks = (self.partial + text).split("\n")
        for done in chunks[:-1]:
            self.lines.append((style, done[:MAX_LINE]))
        self.partial = chunks[-1][: MAX_LINE * 4]
        self.version += 1

    def tail(self, count: int) -> list[tuple[str, str]]:
        """The last `count` lines, the streamed line included."""
        if count <= 0:
            return []
        extra = [(self.partial_style, self.partial)] if self.partial else []
        need = count - len(extra)
        start = max(0, len(self.lines) - need)
        body = [self.lines[i] for i in range(start, len(self.lines))] if need > 0 else []
        return (body + extra)[-count:]

    def last_output(self) -> str:
        """The latest run of plain output lines (what a user wants to copy)."""
        grabbed: list[str] = []
        for style, text in reversed(self.lines):
            if style in ("out", "err", "text"):
                grabbed.append(text)
            elif grabbed:
                break
        if self.partial:
            grabbed.insert(0, self.partial)
        return "\n".join(reversed(grabbed))

    def _close_partial(self) -> None:
        if self.partial:
            self.lines.append((self.partial_style, self.partial[:MAX_LINE]))
        self.partial = ""
        self.partial_style = ""

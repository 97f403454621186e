"""A live pane: the tail of one agent's activity, drawn only when visible and changed."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from aar_tui.activity import ActivityBuffer
from aar_tui.look import line_style, state_label, state_style
from aar_tui.messages import AgentChosen, PaneFocused
from aar_tui.model import AgentRow


def wrap(text: str, width: int) -> list[str]:
    """A line as rows of at most `width`, broken after a space where one falls in the
    row's second half (so words stay whole), else cut (a long path, a hash)."""
    rows: list[str] = []
    while len(text) > width:
        cut = text.rfind(" ", width // 2, width + 1)
        if cut <= 0:
            rows.append(text[:width])
            text = text[width:]
        else:
            rows.append(text[:cut])
            text = text[cut + 1 :]
    rows.append(text)
    return rows


def wrapped_tail(buffer: ActivityBuffer, width: int, height: int) -> list[tuple[str, str]]:
    """The last `height` screen rows of the buffer, long lines wrapped into rows of `width`.

    Works back from the newest line, so the cost is a screenful, not the buffer.
    """
    rows: list[tuple[str, str]] = []
    for kind, text in reversed(buffer.tail(height)):
        pieces = wrap(text, width)
        rows[:0] = [(kind, piece) for piece in pieces]
        if len(rows) >= height:
            break
    return rows[-height:]


class AgentPane(Widget, can_focus=True):
    """Renders the last lines of a bounded buffer; never holds more than the buffer."""

    DEFAULT_CSS = """
    AgentPane {
        border: round $panel-lighten-2;
        border-title-color: $foreground;
        padding: 0 1;
        height: 1fr;
        width: 1fr;
    }
    AgentPane:focus { border: round $accent; }
    AgentPane.-attention { border: round $warning; }
    """

    def __init__(self, row: AgentRow, buffer: ActivityBuffer) -> None:
        super().__init__()
        self.buffer = buffer
        self.row = row
        self._drawn = -1
        self._rows: list[tuple[str, str]] = []
        self._styles: dict[str, Style] = {}
        self._theme = ""
        self._base = Style()
        self.set_title(row)

    def set_title(self, row: AgentRow) -> None:
        self.row = row
        self.border_title = f"{row.id} · {row.direction}"
        style = state_style(self.app.current_theme, row.state) if self.is_attached else "bold"
        self.border_subtitle = Text(state_label(row.state), style=style)
        self.set_class(bool(row.attention), "-attention")

    def changed(self) -> None:
        """Called once per frame when the buffer moved; cheap if the pane is off screen."""
        if self.buffer.version != self._drawn and self.region.area:
            self.refresh()

    def render_line(self, y: int) -> Strip:
        """The Line API: one row at a time, from rows cut once per change of buffer or size.

        Much cheaper than rendering a Text each frame, which is what lets a screenful of
        busy panes keep up with thousands of events a second.
        """
        width = self.content_region.width
        height = self.content_region.height
        if y == 0 or self._drawn != self.buffer.version:
            self._drawn = self.buffer.version
            self._rows = wrapped_tail(self.buffer, max(1, width), max(1, height))
            self._base = self.rich_style  # costly to compute: once per redraw, not per row
        base = self._base
        if y >= len(self._rows):
            return Strip.blank(width, base)
        kind, text = self._rows[y]
        return Strip([Segment(text, base + self._style(kind))]).adjust_cell_length(width, base)

    def _style(self, kind: str) -> Style:
        theme = self.app.current_theme
        if theme.name != self._theme:
            self._theme, self._styles = theme.name, {}
        if kind not in self._styles:
            self._styles[kind] = Style.parse(line_style(theme, kind))
        return self._styles[kind]

    def on_focus(self) -> None:
        self.post_message(PaneFocused(self.row.id))

    def key_enter(self) -> None:
        self.post_message(AgentChosen(self.row.id))

"""A live pane: the tail of one agent's activity, drawn only when visible and changed."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from aar_tui.activity import ActivityBuffer
from aar_tui.look import line_style, state_label, state_style
from aar_tui.messages import AgentChosen, PaneFocused
from aar_tui.model import AgentRow


def wrapped_tail(buffer: ActivityBuffer, width: int, height: int) -> list[tuple[str, str]]:
    """The last `height` screen rows of the buffer, long lines cut into rows of `width`.

    Works back from the newest line, so the cost is a screenful, not the buffer.
    """
    rows: list[tuple[str, str]] = []
    for kind, text in reversed(buffer.tail(height)):
        pieces = [text[i:i + width] for i in range(0, len(text), width)] or [""]
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

    def render(self) -> Text:
        self._drawn = self.buffer.version
        height = max(1, self.content_region.height)
        width = max(1, self.content_region.width)
        theme = self.app.current_theme
        out = Text(no_wrap=True, overflow="crop")
        for i, (kind, text) in enumerate(wrapped_tail(self.buffer, width, height)):
            if i:
                out.append("\n")
            out.append(text, style=line_style(theme, kind))
        return out

    def on_focus(self) -> None:
        self.post_message(PaneFocused(self.row.id))

    def key_enter(self) -> None:
        self.post_message(AgentChosen(self.row.id))

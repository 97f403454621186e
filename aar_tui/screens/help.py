"""The help screen, generated from the bindings (with the user's keymap applied)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from aar_tui.bindings import GROUPS
from aar_tui.look import STATE_GLYPH


def _key(binding: Binding, keymap: dict[str, str]) -> str:
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key_display or binding.key


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100; max-width: 100%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    HelpScreen .title { text-style: bold; }
    HelpScreen .legend { color: $text-muted; width: 100%; }
    HelpScreen DataTable { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close", id="aar.help.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Keys · ctrl+p opens the command palette · escape closes", classes="title")
            legend = "  ".join(f"{g} {s}" for s, g in STATE_GLYPH.items())
            yield Label(f"States: {legend} · ! needs attention", classes="legend")
            yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        keymap: dict[str, str] = getattr(self.app, "user_keymap", {}) or {}
        table = self.query_one(DataTable)
        table.add_column("key", width=10)
        table.add_column("does", width=24)
        table.add_column("binding id (for keymap.toml)")
        for title, group in GROUPS:
            table.add_row("", Text(title, style="bold"), "")
            for binding in group:
                table.add_row(_key(binding, keymap), binding.description, binding.id or "")
        table.focus()

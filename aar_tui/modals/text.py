"""A text editor in a dialog: for a redirect, a broadcast, a forum post or a void reason."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea


class TextModal(ModalScreen[str | None]):
    """Answers the text (stripped, non-empty) or None when cancelled."""

    DEFAULT_CSS = """
    TextModal { align: center middle; }
    TextModal > Vertical {
        width: 80; max-width: 98%; height: auto; max-height: 90%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    TextModal .title { text-style: bold; margin-bottom: 1; }
    TextModal .title, TextModal .hint { width: 100%; }
    TextModal .hint, TextModal .keys { color: $text-muted; }
    TextModal .error { color: $error; }
    TextModal TextArea { height: 8; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Send", id="aar.text.send"),
        Binding("escape", "cancel", "Cancel", id="aar.text.cancel"),
    ]

    def __init__(
        self,
        title: str,
        *,
        hint: str = "",
        placeholder: str = "",
        multiline: bool = False,
        initial: str = "",
        max_length: int = 4000,
    ) -> None:
        super().__init__()
        self.title_text, self.hint, self.placeholder = title, hint, placeholder
        self.multiline, self.initial, self.max_length = multiline, initial, max_length

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            if self.hint:
                yield Label(Text(self.hint), classes="hint")
            if self.multiline:
                area = TextArea(self.initial, id="text", soft_wrap=True, show_line_numbers=False)
                area.placeholder = self.placeholder
                yield area
                yield Label("ctrl+s send · escape cancel", classes="keys")
            else:
                yield Input(self.initial, placeholder=self.placeholder, id="text")
                yield Label("enter send · escape cancel", classes="keys")
            yield Label("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one("#text").focus()

    def _value(self) -> str:
        if self.multiline:
            return self.query_one("#text", TextArea).text.strip()
        return self.query_one("#text", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        text = self._value()
        error = self.query_one("#error", Label)
        if not text:
            error.update("Write something first, or press escape to cancel.")
            return
        if len(text) > self.max_length:
            error.update(f"Too long: {len(text)} characters; at most {self.max_length}.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

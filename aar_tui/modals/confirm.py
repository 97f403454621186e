"""A yes/no question before a command that cannot be undone."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmModal(ModalScreen[bool]):
    """Answers True on y / the confirm button, False on n / escape."""

    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical {
        width: 60; max-width: 95%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }
    ConfirmModal .question { text-style: bold; width: 100%; }
    ConfirmModal .detail { color: $text-muted; margin: 1 0; width: 100%; }
    ConfirmModal Horizontal { height: auto; align: right middle; }
    ConfirmModal Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="aar.confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="aar.confirm.no"),
    ]

    def __init__(self, question: str, detail: str = "", confirm: str = "Yes") -> None:
        super().__init__()
        self.question, self.detail, self.confirm = question, detail, confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question), classes="question")
            if self.detail:
                yield Label(Text(self.detail), classes="detail")
            with Horizontal():
                yield Button("Cancel (n)", id="no")
                yield Button(f"{self.confirm} (y)", id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

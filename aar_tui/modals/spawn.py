"""The dialog that adds an agent: its starting direction and its brain."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

BRAINS = (
    ("offline researcher (no key)", "offline"),
    ("Claude", "claude"),
    ("scripted", "scripted"),
)


class SpawnModal(ModalScreen[tuple[str, str | None] | None]):
    """Answers (direction, brain) or None; brain None means the run's default."""

    DEFAULT_CSS = """
    SpawnModal { align: center middle; }
    SpawnModal > Vertical {
        width: 76; max-width: 98%; height: auto; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    SpawnModal .title { text-style: bold; margin-bottom: 1; }
    SpawnModal .keys { color: $text-muted; }
    SpawnModal .error { color: $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Spawn", id="aar.spawn.send"),
        Binding("escape", "cancel", "Cancel", id="aar.spawn.cancel"),
    ]

    def __init__(self, default_brain: str | None = None) -> None:
        super().__init__()
        self.default_brain = default_brain

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Spawn an agent", classes="title")
            yield Input(
                placeholder="Starting direction, e.g. 'logconf with a small lr'", id="direction"
            )
            yield Select(
                BRAINS,
                prompt="brain: the run's default",
                id="brain",
                value=self.default_brain
                if self.default_brain in {v for _, v in BRAINS}
                else Select.BLANK,
            )
            yield Label("enter or ctrl+s spawn · tab next field · escape cancel", classes="keys")
            yield Label("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one("#direction").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        direction = self.query_one("#direction", Input).value.strip()
        if not direction:
            self.query_one("#error", Label).update("Give the agent a starting direction.")
            return
        brain = self.query_one("#brain", Select).value
        self.dismiss((direction, None if brain is Select.BLANK else str(brain)))

    def action_cancel(self) -> None:
        self.dismiss(None)

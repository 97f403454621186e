"""What `q` asks: leave the run going (detach), finish it, or stay.

When the engine runs in its own process (`aar run`, `aar attach`), closing the app is
harmless and detaching is the first answer; when it runs in the app's process
(`aar run --foreground`) closing the app ends the run, so only finishing is offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

QuitChoice = Literal["detach", "finish"]


class QuitModal(ModalScreen[None]):
    """Calls `chosen` with "detach" (d) or "finish" (f), staying up while the app closes
    (a dismissal would first redraw the screen below, under an app already exiting);
    escape or c dismiss it and the app goes on."""

    DEFAULT_CSS = """
    QuitModal { align: center middle; }
    QuitModal > Vertical {
        width: 64; max-width: 95%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    QuitModal .question { text-style: bold; }
    QuitModal .detail { color: $text-muted; margin: 1 0; }
    QuitModal Horizontal { height: auto; align: right middle; }
    QuitModal Button { margin-left: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "choose('detach')", "Detach", id="aar.quit.detach"),
        Binding("f", "choose('finish')", "Finish the run", id="aar.quit.finish"),
        Binding("c,escape", "choose('')", "Cancel", id="aar.quit.cancel"),
    ]

    def __init__(self, detachable: bool, chosen: Callable[[QuitChoice], None]) -> None:
        super().__init__()
        self.detachable = detachable
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Leave the supervisor app?", classes="question")
            if self.detachable:
                detail = (
                    "Detach: the run goes on; come back with `aar attach`."
                    " Finish: every agent stops and the run ends."
                )
            else:
                detail = "The engine runs in this app's process: leaving finishes the run."
            yield Static(detail, classes="detail")
            with Horizontal():
                yield Button("Cancel (c)", id="cancel")
                yield Button("Finish the run (f)", id="finish", variant="warning")
                if self.detachable:
                    yield Button("Detach (d)", id="detach", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#detach" if self.detachable else "#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No detach key (nor its footer entry) when the engine would die with the app."""
        return not (action == "choose" and parameters == ("detach",) and not self.detachable)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_choose("" if event.button.id == "cancel" else str(event.button.id))

    def action_choose(self, choice: str) -> None:
        match choice:
            case "detach" | "finish" as answer:
                self.chosen(answer)
            case _:
                self.dismiss(None)

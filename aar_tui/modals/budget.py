"""The dialog that changes the run's limits; a field left blank stays as it is."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from engine.commands import SetBudget
from engine.view import Budgets

# (field of SetBudget, label, parse)
FIELDS: tuple[tuple[str, str, type], ...] = (
    ("minutes", "run length, minutes", float),
    ("cost_usd", "spend limit, USD", float),
    ("tokens_per_agent", "tokens per agent", int),
    ("experiments_per_agent", "experiments per agent", int),
    ("submissions_per_hour", "submissions per agent per hour", int),
)


class BudgetModal(ModalScreen[SetBudget | None]):
    """Answers a `SetBudget` with only the fields the user filled, or None."""

    DEFAULT_CSS = """
    BudgetModal { align: center middle; }
    BudgetModal > Vertical {
        width: 64; max-width: 98%; height: auto; max-height: 100%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    BudgetModal .title { text-style: bold; }
    BudgetModal .keys { color: $text-muted; }
    BudgetModal .error { color: $error; }
    BudgetModal Input { margin: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Apply", id="aar.budget.send"),
        Binding("escape", "cancel", "Cancel", id="aar.budget.cancel"),
    ]

    def __init__(self, current: Budgets) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Raise a budget (blank: unchanged)", classes="title")
            for name, label, _ in FIELDS:
                now = getattr(self.current, name, None)
                shown = "no limit" if now is None else f"now {now:g}"
                yield Input(placeholder=f"{label} ({shown})", id=name, compact=True)
            yield Label("enter or ctrl+s apply · escape cancel", classes="keys")
            yield Label("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        error = self.query_one("#error", Label)
        values: dict[str, float | int] = {}
        for name, label, parse in FIELDS:
            raw = self.query_one(f"#{name}", Input).value.strip()
            if not raw:
                continue
            try:
                values[name] = parse(raw)
            except ValueError:
                kind = "a whole number" if parse is int else "a number"
                error.update(f"{label}: {raw!r} is not {kind}.")
                return
        if not values:
            error.update("Fill at least one field, or press escape to cancel.")
            return
        try:
            command = SetBudget(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            error.update(f"{first['loc'][0]}: {first['msg']}.")
            return
        self.dismiss(command)

    def action_cancel(self) -> None:
        self.dismiss(None)

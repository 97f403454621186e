"""The dialog that changes the run's limits; a field left blank stays as it is."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from aar_tui.modals.budget_fields import BudgetField, budget_fields, explain
from engine.commands import SetBudget
from engine.view import Budgets


def _shown(value: float | int | None) -> str:
    if value is None:
        return "no limit"
    return f"now {value:,}" if isinstance(value, int) else f"now {value:,.6g}"


class BudgetModal(ModalScreen[SetBudget | None]):
    """Answers a `SetBudget` with only the fields the user filled, or None."""

    DEFAULT_CSS = """
    BudgetModal { align: center middle; }
    BudgetModal > Vertical {
        width: 66; max-width: 98%; height: auto; max-height: 100%; padding: 0 1;
        border: thick $primary; background: $surface;
    }
    BudgetModal .title { text-style: bold; }
    BudgetModal .keys { color: $text-muted; }
    BudgetModal .error { color: $error; }
    BudgetModal .row { height: 1; }
    BudgetModal .row Label { width: 32; }
    BudgetModal Input { margin: 0; width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Apply", id="aar.budget.send"),
        Binding("escape", "cancel", "Cancel", id="aar.budget.cancel"),
    ]

    def __init__(self, current: Budgets) -> None:
        super().__init__()
        self.current = current
        self.fields: tuple[BudgetField, ...] = budget_fields()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Change a limit (blank: unchanged)", classes="title")
            for field in self.fields:
                with Horizontal(classes="row"):
                    yield Label(field.label)
                    now = _shown(getattr(self.current, field.name, None))
                    yield Input(placeholder=now, id=field.name, compact=True)
            yield Label("enter or ctrl+s apply · escape cancel", classes="keys")
            yield Label("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def _refuse(self, message: str, name: str | None = None) -> None:
        self.query_one("#error", Label).update(message)
        if name is not None:
            self.query_one(f"#{name}", Input).focus()

    def action_submit(self) -> None:
        values: dict[str, float | int] = {}
        typed: dict[str, str] = {}
        for field in self.fields:
            raw = self.query_one(f"#{field.name}", Input).value.strip()
            if not raw:
                continue
            typed[field.name] = raw
            try:
                values[field.name] = field.parse(raw)
            except ValueError as exc:
                self._refuse(str(exc), field.name)
                return
        if not values:
            self._refuse("Fill at least one field, or press escape to cancel.")
            return
        try:
            command = SetBudget.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0])
            label = next((f.label for f in self.fields if f.name == name), name)
            self._refuse(f"{label}: {explain(dict(first))}, not {typed.get(name)}.", name)
            return
        self.dismiss(command)

    def action_cancel(self) -> None:
        self.dismiss(None)

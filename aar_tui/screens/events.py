"""The raw event log, filterable by words, for when something looks wrong."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input, RichLog

from aar_tui.bindings import EVENTS_BINDINGS
from aar_tui.describe import describe_event
from aar_tui.look import fmt_clock
from aar_tui.model import Changes
from aar_tui.screens.base import RunScreen
from engine.events import Event

# Lines the log widget keeps; the model keeps more, and a new filter redraws from it.
SHOWN = 2000
# Streamed deltas are one event per few characters; the log shows them only when asked.
CHATTY = frozenset({"text_delta", "thinking_delta", "command_output", "sandbox_stats"})


class EventsScreen(RunScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*EVENTS_BINDINGS]

    DEFAULT_CSS = """
    EventsScreen #filter { height: 1; border: none; padding: 0 1; }
    EventsScreen RichLog { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._shown_seq = 0

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Input(
            placeholder="/ filter: words that must all appear (kind, agent, text); "
            "'delta' shows streamed text",
            id="filter",
        )
        yield RichLog(max_lines=SHOWN, wrap=False, markup=False, auto_scroll=True)
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one(RichLog).focus()

    def refresh_all(self) -> None:
        super().refresh_all()
        log = self.query_one(RichLog)
        log.clear()
        self._shown_seq = 0
        self._write(list(self.model.log))

    def refresh_model(self, changes: Changes) -> None:
        super().refresh_model(changes)
        if changes.events:
            self._write([e for e in self.model.log if e.seq > self._shown_seq])

    def _line(self, ev: Event) -> str:
        start = self.model.run.started_at if self.model.run else None
        return (
            f"{ev.seq:>7} {fmt_clock(ev.ts, start)} {ev.agent_id or 'run':<8} "
            f"{ev.kind:<19} {describe_event(ev.payload)}"
        )

    def _keep(self, ev: Event, line: str) -> bool:
        if not self.words:
            return ev.kind not in CHATTY
        low = line.lower()
        return all(w in low for w in self.words)

    def _write(self, events: list[Event]) -> None:
        log = self.query_one(RichLog)
        for ev in events[-SHOWN:]:
            line = self._line(ev)
            if self._keep(ev, line):
                style = "red" if ev.kind == "error" else ""
                log.write(Text(line, style=style, no_wrap=True))
        if events:
            self._shown_seq = events[-1].seq
            log.scroll_end(animate=False)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.words = []
        self.query_one(RichLog).focus()
        self.refresh_all()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.words = event.value.lower().split()
        self.refresh_all()

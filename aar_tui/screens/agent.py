"""One agent in depth: its whole transcript beside its figures, with the same keys to steer it."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from aar_tui.bindings import AGENT_BINDINGS, AGENT_SCREEN_BINDINGS
from aar_tui.look import state_label, state_style
from aar_tui.model import Changes
from aar_tui.screens.agent_actions import AgentActions
from aar_tui.widgets.agent.summary import AgentSummary
from aar_tui.widgets.agent.transcript import Transcript

# Events fetched per request while loading the transcript from the start (the most the
# API gives at once).
PAGE = 5000
# Events added to the transcript between two chances to draw.
CHUNK = 1000


class AgentScreen(AgentActions):
    BINDINGS: ClassVar[list[BindingType]] = [*AGENT_SCREEN_BINDINGS, *AGENT_BINDINGS]

    DEFAULT_CSS = """
    AgentScreen #who { height: 1; padding: 0 1; background: $boost; }
    AgentScreen Horizontal { height: 1fr; }
    AgentScreen Transcript { width: 2fr; border-right: vkey $panel; background: $background; }
    AgentScreen #side { width: 1fr; min-width: 28; }
    """

    def __init__(self, agent_id: str) -> None:
        super().__init__()
        self.agent_id = agent_id
        self._folded = True
        self._loading = True

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="who")
        with Horizontal():
            yield Transcript(id="transcript")
            with VerticalScroll(id="side"):
                yield AgentSummary()
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one(Transcript).focus()
        self.refresh_all()
        self._load()

    @work(exclusive=True, group="transcript")
    async def _load(self) -> None:
        """Fetch the transcript from the start, page by page, then follow the model's log."""
        transcript = self.query_one(Transcript)
        after = 0
        while True:
            try:
                page = await self.aar.view.transcript(self.agent_id, after, PAGE)
            except Exception as exc:  # shown, not fatal: live events still arrive
                self.notify(f"Could not load the transcript: {exc}", severity="error")
                break
            for start in range(0, len(page), CHUNK):
                transcript.add_events(page[start : start + CHUNK])
                await asyncio.sleep(0)  # a frame between chunks: the screen stays live
            if len(page) < PAGE:
                break
            after = page[-1].seq
        self._loading = False
        self._catch_up()

    def target_agent(self) -> str | None:
        return self.agent_id

    def refresh_all(self) -> None:
        super().refresh_all()
        self._show_who()
        self.query_one(AgentSummary).show(self.model, self.agent_id)
        if not self._loading:
            self._catch_up()

    def refresh_model(self, changes: Changes) -> None:
        super().refresh_model(changes)
        if self.agent_id in changes.agents or changes.board or changes.forum:
            self._show_who()
            self.query_one(AgentSummary).show(self.model, self.agent_id)
        if self.agent_id in changes.panes and not self._loading:
            self._catch_up()

    def _show_who(self) -> None:
        """Which agent this is, in a line of its own: the transcript alone does not say."""
        row = self.model.agents.get(self.agent_id)
        who = Text(no_wrap=True, overflow="ellipsis")
        who.append(f"agent {self.agent_id}", style="bold")
        if row is not None:
            theme = self.app.current_theme
            who.append(" · ")
            who.append(state_label(row.state), style=state_style(theme, row.state))
            who.append(f" · {row.direction}")
        self.query_one("#who", Static).update(who)

    def _catch_up(self) -> None:
        transcript = self.query_one(Transcript)
        fresh = [
            e for e in self.model.log if e.agent_id == self.agent_id and e.seq > transcript.last_seq
        ]
        if fresh:
            transcript.add_events(fresh)

    def action_toggle_folds(self) -> None:
        self._folded = not self._folded
        self.query_one(Transcript).set_folded(self._folded)

    def action_toggle_thinking(self) -> None:
        transcript = self.query_one(Transcript)
        transcript.show_thinking(not transcript.thinking)

    def action_select_record(self, delta: int) -> None:
        self.query_one(Transcript).select(delta)

    def action_toggle_record(self) -> None:
        self.query_one(Transcript).toggle_selected()

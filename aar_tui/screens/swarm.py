"""The home screen: the agents table above a grid of live panes, one per agent."""

from __future__ import annotations

from time import monotonic
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from aar_tui.bindings import AGENT_BINDINGS, SWARM_BINDINGS
from aar_tui.messages import AgentChosen, PaneFocused
from aar_tui.model import Changes
from aar_tui.screens.agent_actions import AgentActions
from aar_tui.widgets.agents.grid import PaneGrid
from aar_tui.widgets.agents.table import AgentTable

# The table's figures change many times a second under load; people read them slower.
TABLE_INTERVAL = 0.5
# A state change shows sooner, but a swarm changing states all the time still costs at
# most one table redraw per this many seconds.
STATE_INTERVAL = 0.1


class SwarmScreen(AgentActions):
    BINDINGS: ClassVar[list[BindingType]] = [*AGENT_BINDINGS, *SWARM_BINDINGS]

    DEFAULT_CSS = """
    SwarmScreen #page { height: auto; color: $text-muted; padding: 0 1; }
    SwarmScreen #page:disabled { display: none; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._table_dirty: set[str] = set()
        self._table_drawn = 0.0

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield AgentTable(id="agents")
        yield Static("", id="page")
        yield PaneGrid(id="panes")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.set_interval(TABLE_INTERVAL, self._flush_table)

    @property
    def table(self) -> AgentTable:
        return self.query_one(AgentTable)

    @property
    def grid(self) -> PaneGrid:
        return self.query_one(PaneGrid)

    def target_agent(self) -> str | None:
        return self.table.selected_agent

    def refresh_all(self) -> None:
        super().refresh_all()
        self.table.rebuild(self.model)
        self.grid.show(self.model, force=True)
        self._show_page_label()
        self._table_dirty.clear()

    def refresh_model(self, changes: Changes) -> None:
        super().refresh_model(changes)
        if changes.agents_added:
            self.table.rebuild(self.model)
            self.grid.show(self.model)
            self._show_page_label()
        self._table_dirty |= changes.agents
        soon = monotonic() - self._table_drawn >= STATE_INTERVAL
        if soon and self.table.state_changed(self.model, changes.agents):
            self._flush_table()  # a state change (a pause landing) shows at once
        self.grid.refresh_panes(self.model, changes.panes, changes.agents)

    def _flush_table(self) -> None:
        if self._table_dirty:
            self._table_drawn = monotonic()
            dirty, self._table_dirty = self._table_dirty, set()
            self.table.update_agents(self.model, dirty)

    def _show_page_label(self) -> None:
        label = self.grid.page_label(self.model)
        page = self.query_one("#page", Static)
        page.update(Text(label))  # its "[ and ]" are keys, not markup
        page.disabled = not label

    def action_page(self, delta: int) -> None:
        self.grid.turn(self.model, delta)
        self._show_page_label()

    def action_open_agent(self) -> None:
        if agent_id := self.target_agent():
            self.aar.open_agent(agent_id)

    def action_next_attention(self) -> None:
        """Select the next agent, after the selected one, that needs attention."""
        ids = list(self.model.agents)
        if not ids:
            return
        here = self.target_agent()
        start = ids.index(here) + 1 if here in ids else 0
        for agent_id in ids[start:] + ids[:start]:
            row = self.model.agents[agent_id]
            if row.attention:
                self.table.select_agent(agent_id)
                self.grid.show_agent(self.model, agent_id)
                self._show_page_label()
                self.notify(f"{agent_id} needs attention: {row.attention.replace('_', ' ')}")
                return
        self.notify("No agent needs attention.")

    def on_agent_chosen(self, message: AgentChosen) -> None:
        self.aar.open_agent(message.agent_id)

    def on_agent_highlighted(self) -> None:
        if agent_id := self.target_agent():
            self.grid.show_agent(self.model, agent_id)
            self._show_page_label()

    def on_pane_focused(self, message: PaneFocused) -> None:
        self.table.select_agent(message.agent_id)

    def on_resize(self) -> None:
        if self.aar.loaded.is_set():
            self._show_page_label()

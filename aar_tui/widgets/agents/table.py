"""The agents table: one row per agent with its state, step and figures."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from aar_tui.look import fmt_cost, fmt_pgr, fmt_tokens, state_label, state_style, theme_colour
from aar_tui.messages import AgentChosen, AgentHighlighted
from aar_tui.model import AgentRow, RunModel

# (key, label, width); numbers right-aligned. The direction, the step and the attention
# reason share the room left. Tokens and cost show only once some agent has spent any: in
# an offline run they stay 0 and their room goes to the words.
_FIXED = [
    ("id", "agent", 6),
    ("state", "state", 10),
    ("exp", "exp", 3),
    ("sub", "sub", 3),
    ("best", "best", 5),
]
_SPEND = [("tok", "tok", 6), ("cost", "cost", 6)]
_NUMERIC = {"exp", "sub", "best", "tok", "cost"}
# The attention column: one cell for its mark when no agent needs attention, else room
# for the longest reason up to this many cells.
_ATTENTION_MAX = 14
# Below this much room for the words, tokens and cost give theirs up (the agent screen
# shows them).
_WORDS_MIN = 36


def _attention(row: AgentRow) -> str:
    return row.attention.replace("_", " ")


def _layout(model: RunModel) -> tuple[bool, int]:
    """What the columns depend on: whether any agent has spent, the attention width."""
    spend = any(r.tokens or r.cost for r in model.agents.values())
    longest = max((len(_attention(r)) for r in model.agents.values()), default=0)
    return spend, min(_ATTENTION_MAX, max(longest + 2, len("attention"))) if longest else 1


class AgentTable(DataTable[Text | str]):
    """Keyed by agent id; only the rows of agents that changed are rewritten."""

    DEFAULT_CSS = """
    AgentTable { height: auto; max-height: 45%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self._width = 0
        self._layout: tuple[bool, int] = (False, 1)
        self._cache: dict[str, tuple[object, ...]] = {}

    def _columns_for(self, width: int) -> list[tuple[str, str, int]]:
        spend, attention = self._layout
        cols = [("mark", "!" if attention == 1 else "attention", attention), *_FIXED]

        def room_left() -> int:
            return width - sum(w for _, _, w in cols) - 2 * (len(cols) + 2) - 2

        if spend and room_left() - sum(w + 2 for _, _, w in _SPEND) >= _WORDS_MIN:
            cols += _SPEND
        room = max(16, room_left())
        direction = max(8, room // 2)
        cols.insert(2, ("dir", "direction", direction))
        cols.insert(4, ("step", "step", max(8, room - direction)))
        return cols

    def rebuild(self, model: RunModel) -> None:
        """Lay the columns out for the current width and fill every row."""
        keep = self.cursor_row
        self._width = self.size.width or self.app.size.width
        self._layout = _layout(model)
        self.clear(columns=True)
        self._cache.clear()
        for key, label, width in self._columns_for(self._width):
            self.add_column(
                Text(label, justify="right" if key in _NUMERIC else "left"), key=key, width=width
            )
        for row in model.agents.values():
            self.add_row(*self._cells(row), key=row.id)
            self._cache[row.id] = self._signature(row)
        if self.row_count:
            self.move_cursor(row=min(max(keep, 0), self.row_count - 1))

    def update_agents(self, model: RunModel, ids: set[str]) -> None:
        if {r.value for r in self.rows} != set(model.agents) or _layout(model) != self._layout:
            self.rebuild(model)
            return
        keys = [c[0] for c in self._columns_for(self._width)]
        for agent_id in ids:
            row = model.agents.get(agent_id)
            if row is None or self._cache.get(agent_id) == self._signature(row):
                continue
            self._cache[agent_id] = self._signature(row)
            for key, cell in zip(keys, self._cells(row), strict=True):
                self.update_cell(agent_id, key, cell)

    def state_changed(self, model: RunModel, ids: set[str]) -> set[str]:
        """The agents among `ids` whose state differs from what the table shows."""
        return {
            a
            for a in ids
            if a in model.agents and a in self._cache and self._cache[a][0] != model.agents[a].state
        }

    def on_resize(self) -> None:
        if self.size.width != self._width and self.app.is_running:
            model = getattr(self.screen, "model", None)
            if model is not None:
                self.rebuild(model)

    @property
    def selected_agent(self) -> str | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return key.value

    def select_agent(self, agent_id: str) -> None:
        if agent_id in {r.value for r in self.rows}:
            self.move_cursor(row=self.get_row_index(agent_id))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(AgentHighlighted(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(AgentChosen(event.row_key.value))

    @staticmethod
    def _signature(row: AgentRow) -> tuple[object, ...]:
        return (
            row.state,
            row.step,
            row.experiments,
            row.submissions,
            row.best_pgr,
            row.tokens,
            round(row.cost, 2),
            row.attention,
            row.direction,
        )

    def _cells(self, row: AgentRow) -> list[Text | str]:
        theme = self.app.current_theme
        warn = theme_colour(theme, "warning")

        def num(text: str) -> Text:
            return Text(text, justify="right")

        mark = ("! " + _attention(row)) if self._layout[1] > 1 else "!"
        cells: list[Text | str] = [
            Text(mark, style="bold " + warn, overflow="ellipsis", no_wrap=True)
            if row.attention
            else Text(""),
            Text(row.id, style="bold"),
            Text(row.direction, overflow="ellipsis", no_wrap=True),
            Text(state_label(row.state), style=state_style(theme, row.state)),
            Text(row.step, overflow="ellipsis", no_wrap=True),
            num(str(row.experiments)),
            num(str(row.submissions)),
            num(fmt_pgr(row.best_pgr)),
        ]
        if "tok" in self.columns:
            cells += [num(fmt_tokens(row.tokens)), num(fmt_cost(row.cost))]
        return cells

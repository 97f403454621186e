"""The grid of live panes: as many as the terminal fits, paged when there are more agents."""

from __future__ import annotations

from textual.containers import Grid

from aar_tui.model import RunModel
from aar_tui.widgets.agents.pane import AgentPane

# The smallest pane worth reading: a few lines of a command's output.
MIN_PANE_WIDTH = 38
MIN_PANE_HEIGHT = 7


class PaneGrid(Grid):
    """Holds panes for the current page only: agents on other pages cost no widgets."""

    DEFAULT_CSS = """
    PaneGrid { height: 1fr; grid-gutter: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.page = 0
        self._shown: list[str] = []
        self._layout: tuple[int, int] = (0, 0)

    def fit(self) -> tuple[int, int]:
        """Columns and rows of panes for the grid's size."""
        width = self.size.width or self.app.size.width
        height = self.size.height or max(1, self.app.size.height // 2)
        cols = max(1, width // MIN_PANE_WIDTH)
        rows = max(1, height // MIN_PANE_HEIGHT)
        return cols, rows

    def page_count(self, model: RunModel) -> int:
        cols, rows = self.fit()
        per = cols * rows
        return max(1, -(-len(model.agents) // per))

    def turn(self, model: RunModel, delta: int) -> None:
        self.page = (self.page + delta) % self.page_count(model)
        self.show(model, force=True)

    def show_agent(self, model: RunModel, agent_id: str) -> None:
        """Turn to the page that holds this agent's pane."""
        ids = list(model.agents)
        if agent_id not in ids:
            return
        cols, rows = self.fit()
        page = ids.index(agent_id) // (cols * rows)
        if page != self.page:
            self.page = page
            self.show(model, force=True)

    def show(self, model: RunModel, *, force: bool = False) -> None:
        """Mount the panes of the current page (when the page, the size or the agents moved)."""
        cols, rows = self.fit()
        ids = list(model.agents)
        per = cols * rows
        self.page = min(self.page, max(0, (len(ids) - 1) // per)) if ids else 0
        page_ids = ids[self.page * per : (self.page + 1) * per]
        # As square as the room allows: 4 agents in 3 columns read better as 2 x 2.
        used_rows = max(1, -(-len(page_ids) // cols))
        used_cols = max(1, -(-len(page_ids) // used_rows))
        if not force and page_ids == self._shown and self._layout == (used_cols, used_rows):
            return
        self._shown = page_ids
        self._layout = (used_cols, used_rows)
        self.styles.grid_size_columns = used_cols
        self.styles.grid_size_rows = used_rows
        self.remove_children()
        panes = [AgentPane(model.agents[a], model.activity[a]) for a in page_ids]
        if panes:
            self.mount(*panes)

    def page_label(self, model: RunModel) -> str:
        pages = self.page_count(model)
        return f"panes page {self.page + 1}/{pages} · [ and ] turn pages" if pages > 1 else ""

    def refresh_panes(self, model: RunModel, ids: set[str], titles: set[str]) -> None:
        """Redraw the visible panes whose buffer or agent changed."""
        for pane in self.query(AgentPane):
            agent_id = pane.row.id
            if agent_id in titles and agent_id in model.agents:
                pane.set_title(model.agents[agent_id])
            if agent_id in ids:
                pane.changed()

    def on_resize(self) -> None:
        model = getattr(self.screen, "model", None)
        if model is not None and self.app.is_running:
            self.show(model)

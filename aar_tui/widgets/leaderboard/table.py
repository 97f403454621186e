"""Submissions ranked by public PGR, with flags, and private scores once revealed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from aar_tui.describe import describe_method, short
from aar_tui.look import fmt_clock, fmt_pgr, theme_colour
from aar_tui.model import RunModel
from aar_tui.widgets.leaderboard.submission import difference
from engine.view import LeaderboardEntry


class BoardTable(DataTable[Text | str]):
    DEFAULT_CSS = """
    BoardTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._private = False
        self._width = 0
        self._model: RunModel | None = None

    def on_resize(self) -> None:
        if self._model is not None and self.size.width != self._width:
            self.show(self._model)

    def show(self, model: RunModel) -> None:
        keep = self.selected_submission
        revealed = bool(model.run and model.run.private_revealed)
        width = self.size.width or self.app.size.width
        self._model = model
        if revealed != self._private or not self.columns or width != self._width:
            self._private, self._width = revealed, width
            self.clear(columns=True)
            self.add_column("#", key="rank", width=3)
            self.add_column("sub", key="sub", width=5)
            self.add_column("agent", key="agent", width=8)
            self.add_column(Text("PGR", justify="right"), key="pgr", width=6)
            self.add_column(Text("acc", justify="right"), key="acc", width=5)
            self.add_column(Text("reproduced", justify="right"), key="repro", width=12)
            if revealed:
                self.add_column(Text("priv", justify="right"), key="priv", width=6)
                self.add_column(Text("gap", justify="right"), key="gap", width=6)
            self.add_column("time", key="time", width=8)
            self.add_column("flags", key="flags", width=10)
            # The method takes the rest of the row, so no row runs past the edge.
            used = sum(c.width + 2 for c in self.columns.values()) + 4
            self.add_column("method", key="method", width=max(16, width - used))
        else:
            self.clear()
        start = model.run.started_at if model.run else None
        first_reading: dict[str, LeaderboardEntry] = {}
        for sub in model.ranked_submissions():
            # Rows whose method reads the same say how they differ from the first of them.
            reading = describe_method(sub.method)
            same = first_reading.setdefault(reading, sub)
            note = difference(sub, same) if same is not sub else ""
            cells = self._cells(sub, start, reading, note)
            self.add_row(*cells, key=str(sub.submission_id))
        if keep is not None and str(keep) in {r.value for r in self.rows}:
            self.move_cursor(row=self.get_row_index(str(keep)))

    @property
    def selected_submission(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key else None

    def _cells(self, sub: LeaderboardEntry, start: float | None, reading: str, note: str) -> list:
        theme = self.app.current_theme
        rank = sub.rank
        dim = "dim" if rank is None else ""
        pgr = sub.public.pgr if sub.public else None
        acc = sub.public.accuracy if sub.public else None
        flags = "void" if sub.voided else ",".join(sub.flags)
        cells: list[Text | str] = [
            Text(str(rank) if rank else "–", style=dim),
            Text(f"#{sub.submission_id}", style=dim),
            Text(sub.agent_id, style=dim),
            Text(fmt_pgr(pgr), justify="right", style="bold" if rank == 1 else dim),
            Text("—" if acc is None else f"{acc:.3f}", justify="right", style=dim),
            Text(_reproduced(sub), justify="right", style=dim),
        ]
        if self._private:
            priv = sub.private.pgr if sub.private else None
            gap = None if priv is None or pgr is None else priv - pgr
            cells.append(Text(fmt_pgr(priv), justify="right", style=dim))
            gap_style = theme_colour(theme, "error") if gap is not None and gap < -0.05 else dim
            cells.append(
                Text("—" if gap is None else f"{gap:+.3f}", justify="right", style=gap_style)
            )
        cells.append(Text(fmt_clock(sub.ts, start), style=dim))
        cells.append(Text(flags, style=theme_colour(theme, "warning") if flags else ""))
        method = Text(no_wrap=True, overflow="ellipsis")
        note_style = "italic " + theme_colour(theme, "secondary")
        if note.startswith("same"):  # the reading, cut to leave the note its room
            room = self.columns[ColumnKey("method")].width - len(note) - 3
            method.append(short(reading, max(8, room)), style=dim)
            method.append(f" · {note}", style=note_style)
        else:  # first, so that the width cuts the part that reads the same, not this
            if note:
                method.append(f"{note} · ", style=note_style)
            method.append(reading, style=dim)
        cells.append(method)
        return cells


def _reproduced(sub: LeaderboardEntry) -> str:
    """The reproduced public PGR (mean ± sd over its seeds) beside the claimed one."""
    r = sub.reproduced
    if r is None:
        return "—"
    if r.public_pgr_mean is None:
        return r.status
    return f"{fmt_pgr(r.public_pgr_mean)}±{r.public_pgr_sd or 0:.2f}"

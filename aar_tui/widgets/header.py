"""The one-line run header: run, task, connection, time, agents by state, best PGR, spend."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from aar_tui.look import (
    STATE_GLYPH,
    fmt_cost,
    fmt_duration,
    fmt_minutes,
    fmt_pgr,
    state_style,
    theme_colour,
)
from aar_tui.model import RunModel
from engine.limits import COST_USD, MINUTES

_CONNECTION = {
    "connected": ("●", "success"),
    "connecting": ("◌", "warning"),
    "reconnecting": ("◌", "warning"),
    "disconnected": ("✗", "error"),
}


class RunHeader(Static):
    """Redrawn when the run's figures change, and once a second for the clock.

    Segments are dropped from least to most useful when the line does not fit.
    """

    DEFAULT_CSS = """
    RunHeader {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    _last: tuple[RunModel, str, str, float] | None = None

    def on_resize(self) -> None:
        # The first draw may come before the layout gave the header its width.
        if self._last is not None:
            model, where, connection, now = self._last
            self.show(model, where=where, connection=connection, now=now)

    def show(self, model: RunModel, *, where: str, connection: str, now: float) -> None:
        self._last = (model, where, connection, now)
        theme = self.app.current_theme
        run = model.run
        if run is None:
            self.update(Text("aar · loading the run…"))
            return
        # (priority: lower is dropped first, text)
        parts: list[tuple[int, Text]] = []
        parts.append((9, Text(run.name, style="bold " + theme_colour(theme, "primary"))))
        parts.append((2, Text(run.task_id or run.task)))
        glyph, colour = _CONNECTION.get(connection, ("?", "warning"))
        label = where if connection == "connected" else f"{where} {connection}"
        parts.append((8, Text(f"{glyph} {label}", style=theme_colour(theme, colour))))
        clock = fmt_duration(model.elapsed(now))
        if run.state != "running":
            clock += f" {run.state}"
        parts.append((7, Text(clock)))
        states = Text()
        for state, count in sorted(model.state_counts().items()):
            if states:
                states.append(" ")
            states.append(f"{STATE_GLYPH.get(state, '?')}{count}", style=state_style(theme, state))
        parts.append((6, states))
        best = Text("best PGR ")
        best.append(fmt_pgr(model.best_pgr), style="bold " + theme_colour(theme, "success"))
        parts.append((8, best))
        b = model.budgets
        if b.paused_reason:  # a run-wide budget holds every agent: say so before all else
            parts.append((9, Text(f"⏸ {b.paused_reason}", style=theme_colour(theme, "warning"))))
        cost, minutes = b.limit(COST_USD), b.limit(MINUTES)
        parts.append((5, Text(fmt_cost(b.cost_used_usd) + (f"/{fmt_cost(cost)}" if cost else ""))))
        if minutes:
            used = max(b.elapsed_minutes, model.elapsed(now) / 60)
            parts.append((1, Text(f"{used:.0f}/{fmt_minutes(minutes)} min")))
        room = max(20, (self.size.width or self.app.size.width) - 2)
        while len(parts) > 1 and sum(len(t) + 3 for _, t in parts) - 3 > room:
            parts.remove(min(parts, key=lambda p: p[0]))
        self.update(Text(" · ").join(t for _, t in parts))

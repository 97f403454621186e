"""An agent's transcript, virtualised: only the rows on screen are drawn, at any length.

The entries (`entries.TranscriptLog`) keep the whole transcript; this view keeps the first
row of each entry, so drawing a row is a binary search and the wrapping of one entry.
An agent with 100,000 events opens as fast as one with a thousand (`bench/tui.py`).
Records (tool calls, experiments) are folded to their title; the selected one is
highlighted, `[` and `]` move the selection, enter or a click folds and unfolds it.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from aar_tui.look import line_style
from aar_tui.widgets.agent.entries import Entry, TranscriptLog

# Cells kept free at the left and right of each row.
_MARGIN = 1


class Transcript(ScrollView, can_focus=True):
    """Fed with an agent's events in order; keeps to the bottom while the user is there."""

    DEFAULT_CSS = """
    Transcript { background: $surface; }
    Transcript > .transcript--selected { background: $boost; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"transcript--selected"}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history = TranscriptLog()
        self.thinking = True
        self.selected: int | None = None  # index of the selected record
        self._chosen = False  # whether the user chose it; else the newest record is selected
        self._following = True  # at the bottom: new events scroll into view
        self._tops: list[int] = [0]  # first row of each entry; the last item is the total
        self._width = 0
        self._dirty_from: int | None = None
        self._styles: dict[str, Style] = {}
        self._theme = ""

    @property
    def last_seq(self) -> int:
        return self.history.last_seq

    # ---- feeding and layout ------------------------------------------------------

    def add_events(self, evs: list[Any]) -> None:
        touched = self.history.add_events(evs)
        if not touched:
            return
        self._invalidate(min(touched))
        if not self._chosen:
            self._select_last_record()
        self._layout()
        if self._following:
            self.scroll_end(animate=False, immediate=True)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Growth leaves the offset where it is; only a scroll (the user's or ours) moves it.
        self._following = new_value >= self.max_scroll_y - 1

    def _invalidate(self, index: int) -> None:
        self._dirty_from = index if self._dirty_from is None else min(self._dirty_from, index)

    def _row_width(self) -> int:
        return max(10, self.scrollable_content_region.width - 2 * _MARGIN)

    def _layout(self) -> None:
        """Bring the entries' first rows up to date from the first one that changed."""
        width = self._row_width()
        if width != self._width:
            self._width, self._dirty_from = width, 0
        start = self._dirty_from
        if start is None:
            return
        self._dirty_from = None
        entries = self.history.entries
        start = min(start, len(self._tops) - 1)
        heights = (len(e.rows(width, self.thinking)) for e in entries[start:])
        self._tops[start + 1 :] = list(accumulate(heights, initial=self._tops[start]))[1:]
        self.virtual_size = Size(width + 2 * _MARGIN, self._tops[-1])

    def on_resize(self) -> None:
        self._layout()
        self.refresh()

    # ---- drawing -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        self._layout()
        width = self.scrollable_content_region.width
        base = self.rich_style
        row_y = self.scroll_offset.y + y
        if row_y >= self._tops[-1]:
            return Strip.blank(width, base)
        index = bisect_right(self._tops, row_y) - 1
        entry = self.history.entries[index]
        kind, text = entry.rows(self._width, self.thinking)[row_y - self._tops[index]]
        style = base + self._style(kind)
        if index == self.selected and kind == "title":
            style += self.get_component_rich_style("transcript--selected")
        pad = " " * _MARGIN
        strip = Strip([Segment(pad, base), Segment(text, style)])
        return strip.adjust_cell_length(width, base)

    def _style(self, kind: str) -> Style:
        theme = self.app.current_theme
        if theme.name != self._theme:
            self._theme, self._styles = theme.name, {}
        if kind not in self._styles:
            if kind == "title":
                style = Style.parse(line_style(theme, "tool"))
            elif kind == "thinking":
                style = Style.parse(line_style(theme, "thinking")) + Style(italic=True)
            else:
                style = Style.parse(line_style(theme, kind))
            self._styles[kind] = style
        return self._styles[kind]

    # ---- folding and selection -----------------------------------------------------

    def _records(self) -> list[int]:
        return [i for i, e in enumerate(self.history.entries) if e.kind == "record"]

    def _select_last_record(self) -> None:
        for i in range(len(self.history.entries) - 1, -1, -1):
            if self.history.entries[i].kind == "record":
                self.selected = i
                return

    def select(self, delta: int) -> None:
        """Select the next (1) or previous (-1) record, and bring it into view."""
        records = self._records()
        if not records:
            return
        self._chosen = True
        if self.selected not in records:
            self.selected = records[-1]
        else:
            at = records.index(self.selected) + delta
            self.selected = records[max(0, min(len(records) - 1, at))]
        self._show_selected()

    def toggle_selected(self) -> None:
        if self.selected is not None:
            self._toggle(self.history.entries[self.selected], self.selected)
            self._show_selected()

    def _toggle(self, entry: Entry, index: int) -> None:
        entry.folded = not entry.folded
        self._invalidate(index)
        self._layout()
        self.refresh()

    def _show_selected(self) -> None:
        if self.selected is None:
            return
        self._layout()
        top = self._tops[self.selected]
        bottom = self._tops[self.selected + 1]
        if top < self.scroll_y or bottom > self.scroll_y + self.scrollable_content_region.height:
            self.scroll_to(y=top, animate=False, immediate=True)
        self.refresh()

    def set_folded(self, folded: bool) -> None:
        for entry in self.history.entries:
            entry.folded = folded
        self._invalidate(0)
        self._layout()
        self.refresh()

    def show_thinking(self, shown: bool) -> None:
        self.thinking = shown
        self._invalidate(0)
        self._layout()
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        row_y = self.scroll_offset.y + event.y
        if 0 <= row_y < self._tops[-1]:
            index = bisect_right(self._tops, row_y) - 1
            if self.history.entries[index].kind == "record":
                self.selected, self._chosen = index, True
                self._toggle(self.history.entries[index], index)

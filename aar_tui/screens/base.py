"""What every screen of a run shares: the header, the footer, and redrawing from the model."""

from __future__ import annotations

from typing import cast

from textual.app import ComposeResult
from textual.screen import Screen

from aar_tui.model import Changes, RunModel
from aar_tui.supervisor import Supervisor
from aar_tui.widgets.footer import RunFooter
from aar_tui.widgets.header import RunHeader


class RunScreen(Screen):
    """A screen fed by the app's model; it redraws only what a batch of events changed."""

    @property
    def aar(self) -> Supervisor:
        return cast(Supervisor, self.app)

    @property
    def model(self) -> RunModel:
        return self.aar.model

    def compose_header(self) -> ComposeResult:
        yield RunHeader()

    def compose_footer(self) -> ComposeResult:
        yield RunFooter()

    def refresh_header(self) -> None:
        for header in self.query(RunHeader):
            self.aar.draw_header(header)

    def refresh_model(self, changes: Changes) -> None:
        """Apply a batch's changes; override to redraw more than the header."""
        if changes.header:
            self.refresh_header()

    def refresh_all(self) -> None:
        """Redraw everything (on first show, after a switch back, after loading)."""
        self.refresh_header()

    def on_screen_resume(self) -> None:
        if self.aar.loaded.is_set():
            self.refresh_all()

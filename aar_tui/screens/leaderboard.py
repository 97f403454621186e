"""The leaderboard: ranked submissions, the baselines, and the best PGR over time."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from aar_tui.bindings import BOARD_BINDINGS
from aar_tui.modals.text import TextModal
from aar_tui.model import Changes
from aar_tui.screens.base import RunScreen
from aar_tui.widgets.leaderboard.chart import BestChart
from aar_tui.widgets.leaderboard.table import BoardTable
from engine.commands import Reproduce, VoidSubmission


class LeaderboardScreen(RunScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*BOARD_BINDINGS]

    DEFAULT_CSS = """
    LeaderboardScreen #baselines { height: 1; padding: 0 1; color: $text-muted; }
    LeaderboardScreen BoardTable { height: 1fr; }
    LeaderboardScreen BestChart { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="baselines")
        yield BoardTable()
        yield BestChart()
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one(BoardTable).focus()

    def refresh_all(self) -> None:
        super().refresh_all()
        self._draw()

    def refresh_model(self, changes: Changes) -> None:
        super().refresh_model(changes)
        if changes.board:
            self._draw()

    def _draw(self) -> None:
        weak, ceiling = self.model.baseline("weak"), self.model.baseline("ceiling")
        parts = [
            "weak acc " + ("—" if weak is None else f"{weak:.3f}") + " (PGR 0)",
            "ceiling acc " + ("—" if ceiling is None else f"{ceiling:.3f}") + " (PGR 1)",
        ]
        revealed = bool(self.model.run and self.model.run.private_revealed)
        parts.append("private scores shown" if revealed else "private hidden (ctrl+r reveals)")
        parts.append("v voids, p reproduces the selected submission")
        self.query_one("#baselines", Static).update(Text(" · ".join(parts)))
        self.query_one(BoardTable).show(self.model)
        self.query_one(BestChart).show(self.model, self.aar.clock())

    def action_open_submission(self) -> None:
        from aar_tui.screens.submission import SubmissionScreen

        sub_id = self.query_one(BoardTable).selected_submission
        if sub_id is None:
            self.notify("No submission is selected.", severity="warning")
            return
        self.app.push_screen(SubmissionScreen(sub_id))

    def on_data_table_row_selected(self, event: BoardTable.RowSelected) -> None:
        event.stop()
        self.action_open_submission()

    def action_reproduce(self) -> None:
        sub_id = self.query_one(BoardTable).selected_submission
        if sub_id is None:
            self.notify("No submission is selected.", severity="warning")
            return
        self.aar.send(
            Reproduce(submission_id=sub_id),
            f"Reproducing submission #{sub_id} over seeds; the board shows the result.",
        )

    def action_void(self) -> None:
        sub_id = self.query_one(BoardTable).selected_submission
        sub = self.model.submissions.get(sub_id) if sub_id is not None else None
        if sub is None:
            self.notify("No submission is selected.", severity="warning")
            return
        if sub.voided:
            self.notify(f"Submission #{sub.submission_id} is already void.", severity="warning")
            return

        def reason(text: str | None) -> None:
            if text:
                self.aar.send(
                    VoidSubmission(submission_id=sub.submission_id, reason=text),
                    f"Submission #{sub.submission_id} voided.",
                )

        flags = f" (flagged {', '.join(sub.flags)})" if sub.flags else ""
        self.app.push_screen(
            TextModal(
                f"Void submission #{sub.submission_id} by {sub.agent_id}{flags}",
                placeholder="why it is voided",
            ),
            reason,
        )

"""A submission opened from the leaderboard: everything known about it, on one page."""

from __future__ import annotations

from typing import ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from aar_tui.supervisor import Supervisor
from aar_tui.widgets.leaderboard.submission import find_experiment, submission_markdown

# Experiments read to find the one a submission came from.
EXPERIMENTS_READ = 1000


class SubmissionScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    SubmissionScreen { align: center middle; }
    SubmissionScreen > VerticalScroll {
        width: 100; max-width: 100%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Close", id="aar.submission.close"),
    ]

    def __init__(self, submission_id: int) -> None:
        super().__init__()
        self.submission_id = submission_id

    @property
    def aar(self) -> Supervisor:
        return cast(Supervisor, self.app)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown("")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).border_subtitle = "escape closes"
        self._show(None)
        self._load()

    @work(exclusive=True, group="submission")
    async def _load(self) -> None:
        try:
            records = await self.aar.view.experiments(limit=EXPERIMENTS_READ)
        except Exception as exc:  # the page stays, without its diagnostics
            self.notify(f"Could not read the experiments: {exc}", severity="warning")
            return
        self._show(records)

    def _show(self, records: list | None) -> None:
        model = self.aar.model
        sub = model.submissions.get(self.submission_id)
        if sub is None:
            self.query_one(Markdown).update(f"Submission #{self.submission_id} is not known.")
            return
        experiment = find_experiment(sub, records) if records else None
        posts = sorted(
            (p for p in model.posts.values() if p.submission_id == sub.submission_id),
            key=lambda p: p.ts,
        )
        start = model.run.started_at if model.run else None
        self.query_one(Markdown).update(submission_markdown(sub, experiment, posts, start))

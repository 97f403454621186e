"""The header's run clock: what a run has used of its minutes, in words a person reads."""

from __future__ import annotations

from tests.tui.conftest import make_app, settle
from tests.tui.fake_view import FakeView
from tests.tui.screen_text import screen_text


async def test_a_resumed_runs_fractional_minutes_show_whole() -> None:
    # A resumed run's limit is what it had used plus what it was given: 2.99199 minutes.
    view = FakeView()
    budgets = view.snap.budgets.model_copy(update={"minutes": 2.99199, "elapsed_minutes": 1.2})
    view.snap = view.snap.model_copy(update={"budgets": budgets})
    app = make_app(view)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        header = screen_text(app).splitlines()[0]
        assert "/3 min" in header and "2.99199" not in header, header


def test_a_limit_reads_as_a_person_writes_it() -> None:
    from aar_tui.look import fmt_minutes

    assert [fmt_minutes(m) for m in (240, 42.99199, 2.99199, 2.5, 1, 0.05)] == [
        "240", "43", "3", "2.5", "1", "0.05",
    ]  # fmt: skip

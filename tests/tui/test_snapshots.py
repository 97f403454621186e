"""Each screen at 80x24, 120x40 and 200x60, against stored SVG snapshots (fixed data and clock).

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and review the SVGs in the diff.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import feed_activity, make_app, settle
from tests.tui.fake_view import FakeView

SIZES = [(80, 24), (120, 40), (200, 60)]
# screen name -> keys that reach it from the swarm screen
SCREENS = {
    "swarm": [],
    "agent": ["enter"],
    "forum": ["2"],
    "leaderboard": ["3"],
    "events": ["4"],
    "help": ["question_mark"],
    "reveal": ["ctrl+r"],
    "submission": ["3", "down", "down", "enter"],
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, screen: str, size: tuple[int, int]) -> None:
    view = FakeView()
    app = make_app(view)

    async def prepare(pilot: Pilot) -> None:
        await settle(pilot)
        feed_activity(view)
        await settle(pilot, frames=6)
        for key in SCREENS[screen]:
            await pilot.press(key)
        await settle(pilot)
        loading = [w for w in app.workers if w.group == "transcript"]
        if loading:
            await app.workers.wait_for_complete(loading)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=prepare)

"""What a person reads on each screen at 80, 120 and 200 columns: keys, titles, whole text."""

from __future__ import annotations

import itertools

import pytest
from textual.widgets._footer import FooterKey

from aar_tui.app import AarApp
from aar_tui.widgets.agents.table import AgentTable
from aar_tui.widgets.footer import RunFooter
from engine.events import UsagePayload
from tests.tui.conftest import make_app, settle, wait_until
from tests.tui.fake_view import FakeView
from tests.tui.screen_text import screen_text

SIZES = [(80, 24), (120, 40), (200, 60)]
SCREEN_KEYS = {"swarm": [], "agent": ["enter"], "forum": ["2"], "board": ["3"], "events": ["4"]}


def _footer_keys(app: AarApp) -> list[FooterKey]:
    return list(app.screen.query_one(RunFooter).query(FooterKey))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREEN_KEYS))
async def test_footer_keys_fit_side_by_side_with_quit_among_them(
    screen: str, size: tuple[int, int]
) -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in SCREEN_KEYS[screen]:
            await pilot.press(key)
        await settle(pilot)
        keys = _footer_keys(app)
        # The quit key (binding id aar.quit) asks whether to detach or finish first.
        assert "app.quit_menu" in [k.action for k in keys]
        regions = sorted((k.region for k in keys), key=lambda r: r.x)
        for left, right in itertools.pairwise(regions):
            assert left.right <= right.x, f"{left} overlaps {right}"
        assert all(r.right <= size[0] for r in regions)
        bottom = screen_text(app).splitlines()[-1]
        assert "q Quit" in bottom and "palette" in bottom


async def test_agent_screen_names_the_agent() -> None:
    app = make_app(FakeView())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert "agent a2 · ● running · data reweighting" in screen_text(app)


async def test_pane_pager_shows_its_keys_not_markup() -> None:
    app = make_app(FakeView(agents=12))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "[ and ] turn pages" in screen_text(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_reveal_dialog_text_is_whole(size: tuple[int, int]) -> None:
    app = make_app(FakeView())
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        box = app.screen.query_one(".detail").content_region
        lines = screen_text(app).splitlines()[box.y : box.bottom]
        text = " ".join(" ".join(line[box.x : box.right] for line in lines).split())
        assert text == "Every client and agent sees them from now on; this cannot be undone."


def _offline(view: FakeView) -> None:
    """The view's agents as an offline run has them: no tokens, no cost."""
    spent_nothing = {"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0}
    agents = tuple(
        a.model_copy(update={"counters": a.counters.model_copy(update=spent_nothing)})
        for a in view.snap.agents
    )
    view.snap = view.snap.model_copy(update={"agents": agents})


async def test_offline_swarm_gives_tokens_and_cost_no_room_and_shows_the_attention_reason() -> None:
    view = FakeView()
    _offline(view)
    app = make_app(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(AgentTable)
        assert "tok" not in table.columns and "cost" not in table.columns
        text = screen_text(app)
        assert "! stuck" in text
        assert "logconf, small lr" in text and "noisy-channel EM" in text
        await pilot.resize_terminal(160, 40)
        view.emit("a1", UsagePayload(tokens_in=1000, tokens_out=200, cost_usd=0.02))
        await wait_until(pilot, "the spend columns", lambda: "tok" in table.columns)
        assert "$0.02" in screen_text(app)

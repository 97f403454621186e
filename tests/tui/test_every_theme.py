"""Every theme that `--theme` and `ctrl+t` offer draws every screen and starts the app;
`ctrl+t` visits them all."""

from __future__ import annotations

import pytest
from textual.theme import Theme

from aar_tui.look import renders
from aar_tui.themes import LoadedThemes, load_themes, theme_names
from tests.tui.conftest import feed_activity, make_app, settle, wait_until
from tests.tui.fake_view import FakeView

# Keys that reach each screen from the one before, the screen they reach, and the key
# that leaves it again.
SCREEN_KEYS = [
    ("enter", "AgentScreen", "escape"),
    ("2", "ForumScreen", None),
    ("3", "LeaderboardScreen", None),
    ("enter", "SubmissionScreen", "escape"),
    ("4", "EventsScreen", None),
    ("question_mark", "HelpScreen", "escape"),
    ("1", "SwarmScreen", None),
]
OFFERED = theme_names(load_themes(()))


def test_the_ansi_themes_are_offered() -> None:
    assert {"ansi-dark", "ansi-light", "aar-dark", "aar-light"} <= set(OFFERED)


async def test_every_screen_draws_in_every_theme() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        feed_activity(view)
        await settle(pilot)
        for key, screen, back in SCREEN_KEYS:
            here = type(app.screen).__name__
            await pilot.press(key)
            await wait_until(pilot, screen, lambda s=screen: type(app.screen).__name__ == s)
            for name in OFFERED:
                app.theme = name
                await settle(pilot, frames=1)
                assert app.theme == name
                assert app.export_screenshot(), name  # draws every widget of the screen now
            if back:
                await pilot.press(back)
                await wait_until(pilot, here, lambda h=here: type(app.screen).__name__ == h)
        assert app.is_running
    assert app.return_code in (0, None)


@pytest.mark.parametrize("name", OFFERED)
async def test_the_app_starts_in_the_theme(name: str) -> None:
    # `--theme NAME` once crashed at start for a theme that ctrl+t reached fine.
    view = FakeView()
    app = make_app(view, theme=name)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        feed_activity(view)
        await settle(pilot)
        assert app.theme == name and app.export_screenshot()
    assert app.return_code in (0, None)


async def test_ctrl_t_cycles_through_every_theme_offered_and_back() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        feed_activity(view)
        await settle(pilot)
        seen = [app.theme]
        for _ in OFFERED:
            await pilot.press("ctrl+t")
            await settle(pilot, frames=1)
            assert app.export_screenshot()
            seen.append(app.theme)
        assert sorted(seen[:-1]) == OFFERED
        assert seen[-1] == seen[0]
        assert app.is_running


def test_a_theme_whose_colours_cannot_be_drawn_is_not_offered() -> None:
    broken = Theme(name="broken", primary="#102030", secondary="nonsense")
    plain = Theme(name="plain", primary="ansi_blue", foreground="ansi_default")
    assert not renders(broken) and renders(plain)
    offered = theme_names(LoadedThemes({"broken": broken, "plain": plain}, ()))
    assert "plain" in offered and "broken" not in offered

"""`q` asks before leaving (detach, finish or stay), and the agent view lists its holds."""

from __future__ import annotations

import re

from aar_tui.app import AarApp
from engine.commands import FinishRun
from engine.events import AgentHoldPayload
from tests.tui.conftest import commands_done, make_app, settle, wait_until
from tests.tui.fake_view import FakeView
from tests.tui.screen_text import screen_text


async def _quit(keys: list[str], *, detachable: bool) -> tuple[AarApp, FakeView, str]:
    view = FakeView()
    app = make_app(view, detachable=detachable)
    text = ""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await wait_until(pilot, "the question", lambda: "Leave the" in screen_text(app))
        text = screen_text(app)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await commands_done(app)
        await pilot.pause()
    return app, view, text


async def test_q_then_detach_leaves_the_app_and_sends_nothing() -> None:
    app, view, text = await _quit(["d"], detachable=True)
    assert "Detach (d)" in text and "Finish the run (f)" in text
    assert app.return_value == "detach" and view.commands == []


async def test_q_then_finish_finishes_the_run_then_leaves() -> None:
    app, view, _ = await _quit(["f"], detachable=True)
    assert view.commands == [FinishRun()] and app.return_value == "finish"


async def test_q_then_cancel_stays_and_sends_nothing() -> None:
    view = FakeView()
    app = make_app(view, detachable=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await wait_until(pilot, "the question", lambda: "Leave the" in screen_text(app))
        await pilot.press("c")
        await wait_until(pilot, "the swarm again", lambda: "Leave the" not in screen_text(app))
        assert app.is_running and view.commands == []


async def test_with_the_engine_in_the_apps_process_q_offers_no_detach() -> None:
    app, view, text = await _quit(["d", "escape"], detachable=False)
    assert "Detach" not in text and "leaving finishes" in text
    assert app.return_value is None and view.commands == []


async def test_the_agent_view_lists_what_holds_the_agent() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view.emit("a1", AgentHoldPayload(reason="supervisor", held=True, by="ctl:ana@box"))
        spent = "the agent's token budget is spent (300 of 300)"
        view.emit("a1", AgentHoldPayload(reason="budget", held=True, by="budget", detail=spent))
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(
            pilot, "both holds", lambda: "budget by budget" in screen_text(app), timeout=3
        )
        text = screen_text(app)
        assert "supervisor by ctl:ana@box" in text and "budget is spent" in text
        assert len(re.findall(r"\bheld {2,}", text)) == 2  # the label, not the events
        view.emit("a1", AgentHoldPayload(reason="budget", held=False, by="ctl:bo@box"))
        await wait_until(
            pilot, "the budget's hold gone", lambda: "budget by" not in screen_text(app)
        )
        assert "supervisor by ctl:ana@box" in screen_text(app)

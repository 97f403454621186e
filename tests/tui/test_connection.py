"""The connection to the engine: its state on screen, and a stream that breaks and resumes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from engine.events import AgentStatePayload, Event
from tests.tui.conftest import make_app, settle
from tests.tui.fake_view import FakeView
from tests.tui.screen_text import screen_text


async def test_connection_state_shows_in_the_header_and_a_toast() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        view.connection_state = "reconnecting"
        view.emit("a1", AgentStatePayload(state="running"))  # type: ignore[arg-type]
        await settle(pilot, frames=6)
        text = screen_text(app)
        assert "local reconnecting" in text.splitlines()[0]
        assert "Connection to the engine: reconnecting" in text


class BreakingView(FakeView):
    """A view whose event stream fails twice, then works: the app must resume, not die."""

    def __init__(self) -> None:
        super().__init__()
        self.subscriptions: list[int] = []

    async def events(self, after_seq: int = 0) -> AsyncIterator[Event]:
        self.subscriptions.append(after_seq)
        if len(self.subscriptions) <= 2:
            raise ConnectionError("socket closed")
        async for event in super().events(after_seq):
            yield event


async def test_a_broken_event_stream_is_resumed_from_the_last_seq() -> None:
    view = BreakingView()
    app = make_app(view)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.pause(2.5)
        view.emit("a1", AgentStatePayload(state="paused"))  # type: ignore[arg-type]
        await settle(pilot, frames=6)
        assert view.subscriptions[:3] == [100, 100, 100]
        assert app.model.agents["a1"].state == "paused"
        shown = [n.message for n in app._notifications]
        assert sum("Event stream broke" in m for m in shown) == 1

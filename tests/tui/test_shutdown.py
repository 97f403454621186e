"""The app shuts down cleanly even when a frame lands while its screens are being taken
apart: the app's timers run in tasks of their own and go on firing during shutdown."""

from __future__ import annotations

from aar_tui.app import AarApp
from engine.events import AgentStatePayload, Event
from tests.tui.conftest import make_app, settle
from tests.tui.fake_view import NOW, FakeView


async def test_a_frame_during_shutdown_draws_nothing_and_raises_nothing():
    view = FakeView()
    app = make_app(view)
    frames_in_shutdown: list[int] = []
    prune = AarApp._prune

    async def prune_then_frame(self: AarApp, *nodes, parent=None):
        # Shutdown removes a screen's widgets while the screen is still the current one:
        # a frame timer that fires at that point must not look for them.
        result = await prune(self, *nodes, parent=parent)
        self._pending.append(
            Event(seq=10_000, ts=NOW, agent_id="a1", payload=AgentStatePayload(state="paused"))
        )
        self._frame()
        self._tick()
        frames_in_shutdown.append(len(self._pending))
        return result

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._prune = prune_then_frame.__get__(app)  # type: ignore[method-assign]
    assert frames_in_shutdown, "shutdown pruned no screen, so no frame landed during it"
    assert app.return_code in (0, None)

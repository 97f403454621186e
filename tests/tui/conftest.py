"""Helpers for the app's tests: an app on the deterministic view, and waiting for a frame."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from aar_tui.app import AarApp
from tests.tui.fake_view import FakeView, clock, transcript_events

# A path with no file: the tests never read the keymap of the machine they run on.
NO_KEYMAP = Path(__file__).parent / "no-such-keymap.toml"


def make_app(view: FakeView | None = None, **kwargs: object) -> AarApp:
    """The app on a fake view, with no user themes or keymap from this machine."""
    kwargs.setdefault("theme_dirs", ())
    kwargs.setdefault("keymap_path", NO_KEYMAP)
    return AarApp(view or FakeView(), clock=clock, **kwargs)  # type: ignore[arg-type]


async def settle(pilot: Pilot, frames: int = 3) -> None:
    """Let queued events be applied (one batch per frame) and the screen redraw."""
    app = pilot.app
    assert isinstance(app, AarApp)
    await asyncio.wait_for(app.loaded.wait(), 10)
    await pilot.pause()
    await asyncio.sleep(frames / app.frame_rate)
    await pilot.pause()


async def wait_until(
    pilot: Pilot, what: str, check: Callable[[], bool], timeout: float = 5.0
) -> None:
    """Poll the app until `check()` holds; fail naming `what` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def commands_done(app: AarApp) -> None:
    """Wait until every command sent has its answer (the event follower never ends)."""
    pending = [w for w in app.workers if w.group == "commands"]
    if pending:  # an empty list would mean "every worker", the follower included
        await app.workers.wait_for_complete(pending)


def feed_activity(view: FakeView, agents: tuple[str, ...] = ("a1", "a2")) -> None:
    """Push a short step of activity for each agent onto the view's event stream."""
    for n, agent_id in enumerate(agents):
        for event in transcript_events(agent_id, seq0=0, submission_id=10 + n):
            view.emit(agent_id, event.payload, ts=event.ts + 30 * n)

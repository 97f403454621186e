"""`Supervisor`: what a screen may ask of the app, so that screens need not import it.

The app (`aar_tui.app.AarApp`) is one; a screen reaches it as `self.aar`, typed by this
protocol: the model it draws, the view it reads on demand, and the supervisor's actions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from aar_tui.model import RunModel
from aar_tui.widgets.header import RunHeader
from engine.commands import Command
from engine.view import EngineView


class Supervisor(Protocol):
    model: RunModel
    view: EngineView
    # Set once the snapshot is loaded and the panes are filled.
    loaded: asyncio.Event
    clock: Callable[[], float]

    def draw_header(self, header: RunHeader) -> None: ...

    def send(self, command: Command, done: str | None = None) -> None:
        """Send a command in a worker; say what became of it."""
        ...

    def post(self, text: str, parent_id: int | None = None) -> None:
        """A supervisor post (a reply with `parent_id`): first line the title, the rest the body."""
        ...

    def open_agent(self, agent_id: str) -> None: ...

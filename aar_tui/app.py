"""The supervisor app: follows a run through an `EngineView` and steers it with commands.

The app never touches engine internals: it loads a snapshot, follows events from its
`seq` in a worker, applies them to its `RunModel` once per frame (so a burst of thousands
of events costs one redraw), and sends `engine.commands` records through the view.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.screen import Screen

from aar_tui.bindings import APP_BINDINGS
from aar_tui.commands import AarCommands
from aar_tui.errors import save_traceback
from aar_tui.keymap import load_keymap
from aar_tui.model import Changes, RunModel
from aar_tui.screens.base import RunScreen
from aar_tui.screens.events import EventsScreen
from aar_tui.screens.forum import ForumScreen
from aar_tui.screens.leaderboard import LeaderboardScreen
from aar_tui.screens.swarm import SwarmScreen
from aar_tui.themes import DEFAULT_THEME, LoadedThemes, check_theme_name, load_themes, theme_names
from aar_tui.widgets.header import RunHeader
from engine.commands import (
    Broadcast,
    Command,
    CommandResult,
    FinishRun,
    Pause,
    PauseAll,
    ResumeAll,
    RevealPrivate,
    Spawn,
)
from engine.events import Event
from engine.view import EngineView

FRAME_RATE = 30
# Full garbage collections walk every live object (the widget tree, the model, and the
# engine's objects when it shares the process); at Python's default thresholds they come
# every few frames under a heavy stream and are the stalls behind the slowest frames.
# Rarer collections, and freezing what was loaded at start, halve the lag at p99.
GC_THRESHOLDS = (10_000, 10, 10)
# How far back in the log a pane's first lines are looked for when the app opens, and how
# many of an agent's events are read from there (the oldest first, so the window is short).
PREFILL_EVENTS = 2000
PREFILL_LIMIT = 1000
# After this many seconds without events the follower re-subscribes from its last seq.
RESUBSCRIBE_DELAY = 1.0


class AarApp(App[str | None]):
    """`AarApp(view)`; `where` names the engine's place for the header ("local", a host).

    `detachable`: the engine runs in a process of its own, so `q` offers to detach (the
    app's result is then "detach"; "finish" after finishing the run). An unhandled error
    saves its traceback under `crash_dir` (`crash_file` says where) and exits with code 1.
    """

    TITLE = "aar"
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS]
    COMMANDS = App.COMMANDS | {AarCommands}
    ENABLE_COMMAND_PALETTE = True
    # One mode per area, each with its own screen stack (an agent screen opens over the swarm).
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "swarm": SwarmScreen,
        "forum": ForumScreen,
        "leaderboard": LeaderboardScreen,
        "events": EventsScreen,
    }
    DEFAULT_MODE: ClassVar[str] = "swarm"

    def __init__(
        self,
        view: EngineView,
        *,
        theme: str | None = None,
        where: str = "local",
        clock: Callable[[], float] = time.time,
        theme_dirs: tuple[Path, ...] | None = None,
        keymap_path: Path | None = None,
        frame_rate: float = FRAME_RATE,
        on_frame: Callable[[list[Event]], None] | None = None,
        detachable: bool = False,
        crash_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.detachable = detachable
        self.crash_dir = crash_dir
        self.crash_file: Path | None = None
        self.where = where
        self.clock = clock
        self.model = RunModel()
        self.loaded = asyncio.Event()
        self.frame_rate = frame_rate
        self.on_frame = on_frame
        self._pending: list[Event] = []
        self._connection = "connected"
        self._gc_before = gc.get_threshold()
        self.themes: LoadedThemes = load_themes(theme_dirs)
        self._wanted_theme = check_theme_name(theme or DEFAULT_THEME, self.themes)
        self.keymap_problems: list[str] = []
        self.user_keymap = load_keymap(keymap_path, self.keymap_problems)

    # ---- start-up -----------------------------------------------------------------

    def on_mount(self) -> None:
        for theme in self.themes.themes.values():
            self.register_theme(theme)
        self.theme = self._wanted_theme
        # Cells and pane lines carry theme colours: redraw them when the theme changes.
        self.theme_changed_signal.subscribe(self, lambda _theme: self._redraw_all())
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        for problem in [*self.themes.problems, *self.keymap_problems]:
            self.notify(problem, severity="warning", title="Ignored", timeout=10)
        self._gc_before = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        self.set_interval(1 / self.frame_rate, self._frame)
        self.set_interval(1.0, self._tick)
        self._follow()

    @work(exclusive=True, group="follow")
    async def _follow(self) -> None:
        """Load the snapshot, then follow events; after a break, resume from the last seq."""
        try:
            snap = await self.view.snapshot()
            posts = await self.view.forum_list(limit=500)
        except Exception as exc:  # the view's own errors: shown, and retried below
            self.notify(f"Could not load the run: {exc}", severity="error", timeout=10)
            await asyncio.sleep(RESUBSCRIBE_DELAY)
            self._follow()
            return
        self.model.load(snap)
        self.model.add_posts(posts)
        await self._prefill_panes()
        gc.freeze()  # the snapshot, the widgets and the imports live as long as the app
        self.loaded.set()
        if isinstance(self.screen, RunScreen):
            self.screen.refresh_all()
        broken = False
        while True:
            try:
                async for event in self.view.events(self.model.seq):
                    self._pending.append(event)
                    broken = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a dropped stream: say so once, then keep resuming
                if not broken:
                    self.notify(
                        f"Event stream broke ({exc}); resuming from event {self.model.seq}.",
                        severity="warning",
                        title="Connection",
                    )
                broken = True
            if self.model.run is not None and self.model.run.state == "finished":
                return
            await asyncio.sleep(RESUBSCRIBE_DELAY)

    async def _prefill_panes(self) -> None:
        """Each pane starts with its agent's recent activity, not blank (after an attach)."""
        after = max(0, self.model.seq - PREFILL_EVENTS)
        ids = list(self.model.agents)
        try:
            pages = await asyncio.gather(
                *(self.view.transcript(a, after, PREFILL_LIMIT) for a in ids)
            )
        except Exception as exc:  # panes then fill from live events only
            self.notify(f"Could not load recent activity: {exc}", severity="warning")
            return
        for agent_id, events in zip(ids, pages, strict=True):
            self.model.prefill(agent_id, events)

    def _handle_exception(self, error: Exception) -> None:
        """Keep the traceback of an error that ends the app; the run itself goes on."""
        if self.crash_file is None and self.crash_dir is not None:
            self.crash_file = save_traceback(self.crash_dir, error)
        super()._handle_exception(error)

    def on_unmount(self) -> None:
        gc.unfreeze()
        gc.set_threshold(*self._gc_before)

    # ---- the frame: apply a batch of events, redraw what changed -----------------

    def _frame(self) -> None:
        # The app's timers run in tasks of their own and go on firing while shutdown
        # removes each screen's widgets: a frame then would query a widget already gone.
        if not self.is_running:
            return
        self._watch_connection()
        if not self._pending or not self.loaded.is_set():
            return
        batch, self._pending = self._pending, []
        changes, notices = self.model.apply(batch)
        for notice in notices:
            self.notify(notice.message, title=notice.title, severity=notice.severity)
        self._redraw(changes)
        if self.on_frame is not None:
            self.call_after_refresh(self.on_frame, batch)

    def _redraw(self, changes: Changes) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, RunScreen) and screen.is_current:
                screen.refresh_model(changes)

    def _redraw_all(self) -> None:
        if self.is_running and self.loaded.is_set() and isinstance(self.screen, RunScreen):
            self.screen.refresh_all()

    def _tick(self) -> None:
        if self.is_running and isinstance(self.screen, RunScreen):
            self.screen.refresh_header()

    def _watch_connection(self) -> None:
        state = self.view.connection
        if state == self._connection:
            return
        before, self._connection = self._connection, state
        if state == "connected" and before != "connected":
            self.notify("Connected to the engine again.", title="Connection")
        elif state in ("reconnecting", "disconnected"):
            self.notify(
                f"Connection to the engine: {state}.",
                title="Connection",
                severity="error" if state == "disconnected" else "warning",
            )
        self._tick()

    def draw_header(self, header: RunHeader) -> None:
        header.show(self.model, where=self.where, connection=self._connection, now=self.clock())

    # ---- commands -------------------------------------------------------------------

    def send(self, command: Command, done: str | None = None) -> None:
        """Send a command in a worker; say what became of it."""
        self._send(command, done)

    @work(group="commands")
    async def _send(self, command: Command, done: str | None) -> CommandResult | None:
        sent_at = self.model.seq
        try:
            result = await self.view.command(command)
        except Exception as exc:  # the engine or the connection failed: the user must know
            self.notify(f"{command.command} failed: {exc}", severity="error", title="Command")
            return None
        if result.status == "refused":
            self.notify(
                f"{command.command} refused: {result.reason or 'no reason given'}",
                severity="error",
                title="Refused",
            )
            return result
        self._show_at_once(command, result, sent_at)
        self.notify(done or f"{command.command} {result.status}", title="Command")
        return result

    def post(self, text: str, parent_id: int | None = None) -> None:
        """A supervisor post (a reply with `parent_id`): first line the title, the rest the body."""
        title, _, body = text.partition("\n")
        self._post(title.strip()[:200], body.strip(), parent_id)

    @work(group="commands")
    async def _post(self, title: str, body: str, parent_id: int | None) -> None:
        try:
            post = await self.view.forum_post(title, body, parent_id=parent_id)
        except Exception as exc:  # refused or unreachable: the supervisor must know
            self.notify(f"Post failed: {exc}", severity="error", title="Forum")
            return
        self.notify(f"Posted #{post.id}: {post.title}", title="Forum")

    def _show_at_once(self, command: Command, result: CommandResult, sent_at: int) -> None:
        """A pause shows as `pausing` (or `paused`) before the engine's event arrives.

        Over a socket the answer can come after the events that followed it (the pause,
        then a resume); then the screen already shows the truth and is left alone."""
        if not isinstance(command, Pause) or self.model.state_seen(command.agent_id, sent_at):
            return
        row = self.model.agents.get(command.agent_id)
        if row is None or row.state in ("paused", "stopped", "finished", "failed"):
            return
        row.shown_state = "paused" if result.status == "applied" else "pausing"
        self._redraw(Changes(header=True, agents={row.id}))

    # ---- run-wide actions -------------------------------------------------------------

    def open_agent(self, agent_id: str) -> None:
        from aar_tui.screens.agent import AgentScreen

        if agent_id in self.model.agents:
            self.push_screen(AgentScreen(agent_id))

    def action_help(self) -> None:
        from aar_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_spawn(self) -> None:
        from aar_tui.modals.spawn import SpawnModal

        def chosen(answer: tuple[str, str | None] | None) -> None:
            if answer:
                direction, brain = answer
                # The dialog's str names one of Spawn's brains; pydantic checks it again.
                self.send(Spawn(direction=direction, brain=brain))  # type: ignore[arg-type]

        default = self.model.run.brain if self.model.run else None
        self.push_screen(SpawnModal(default), chosen)

    def action_broadcast(self) -> None:
        from aar_tui.modals.text import TextModal

        def written(text: str | None) -> None:
            if text:
                self.send(Broadcast(text=text), "Broadcast sent to every agent.")

        self.push_screen(
            TextModal(
                "Broadcast to all agents",
                multiline=True,
                hint="Posted on the forum and read by every agent.",
            ),
            written,
        )

    def action_pause_all(self) -> None:
        self.send(PauseAll())

    def action_resume_all(self) -> None:
        self.send(ResumeAll())

    def action_budget(self) -> None:
        from aar_tui.modals.budget import BudgetModal

        def chosen(command: Any) -> None:
            if command is not None:
                self.send(command)

        self.push_screen(BudgetModal(self.model.budgets), chosen)

    def action_reveal(self) -> None:
        self._confirm_then_send(
            "Reveal the private scores?",
            "Every client and agent sees them from now on; this cannot be undone.",
            "Reveal",
            RevealPrivate(),
        )

    def action_finish(self) -> None:
        self._confirm_then_send(
            "Finish the run?", "Every agent stops; the run's records stay.", "Finish", FinishRun()
        )

    def _confirm_then_send(self, question: str, detail: str, button: str, cmd: Command) -> None:
        from aar_tui.modals.confirm import ConfirmModal

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.send(cmd)

        self.push_screen(ConfirmModal(question, detail, button), confirmed)

    def action_quit_menu(self) -> None:
        from aar_tui.modals.quit import QuitChoice, QuitModal

        if isinstance(self.screen, QuitModal):
            return

        def chosen(choice: QuitChoice) -> None:
            if choice == "detach":
                self.exit("detach")
            else:
                self._finish_and_exit()

        self.push_screen(QuitModal(self.detachable, chosen))

    @work(group="commands")
    async def _finish_and_exit(self) -> None:
        try:
            result = await self.view.command(FinishRun())
        except Exception as exc:  # the engine is unreachable: stay, so the supervisor knows
            self._stay(f"finish failed: {exc}")
            return
        if result.status == "refused" and self.model.run and self.model.run.state == "running":
            self._stay(f"finish refused: {result.reason}")
            return
        self.exit("finish")

    def _stay(self, why: str) -> None:
        from aar_tui.modals.quit import QuitModal

        if isinstance(self.screen, QuitModal):
            self.screen.dismiss(None)
        self.notify(why, severity="error", title="Command")

    def action_next_theme(self) -> None:
        names = theme_names(self.themes)
        at = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(at + 1) % len(names)]
        self.notify(f"Theme: {self.theme}")

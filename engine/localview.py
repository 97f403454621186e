"""`LocalView`: the `EngineView` of a run in the same process (always connected): the
snapshot from its projection, events and transcripts from its log, the forum, the
registry, and commands through the supervisor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from engine.commands import Command, CommandResult
from engine.eventlog import EventLog
from engine.events import TRANSCRIPT_KINDS, Event, ForumPost
from engine.forum import SUPERVISOR, Forum
from engine.projection import Projection
from engine.registry import Registry
from engine.view import ConnectionState, ExperimentRecord, LeaderboardEntry, Snapshot


class LocalView:
    def __init__(
        self,
        *,
        projection: Projection,
        events: EventLog,
        forum: Forum,
        registry: Registry,
        command: Callable[[Command], Awaitable[CommandResult]],
        elapsed_minutes: Callable[[], float],
    ) -> None:
        self._projection = projection
        self._events = events
        self._forum = forum
        self._registry = registry
        self._command = command
        self._elapsed_minutes = elapsed_minutes

    @property
    def connection(self) -> ConnectionState:
        return "connected"

    async def snapshot(self) -> Snapshot:
        snap = self._projection.snapshot()
        budgets = snap.budgets.model_copy(
            update={"elapsed_minutes": round(self._elapsed_minutes(), 3)}
        )
        return snap.model_copy(update={"budgets": budgets})

    def events(self, after_seq: int = 0) -> AsyncIterator[Event]:
        return self._events.subscribe(after_seq)

    async def transcript(self, agent_id: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        return await self._events.read(
            after_seq, limit=max(1, min(limit, 5000)), agent_id=agent_id, kinds=TRANSCRIPT_KINDS
        )

    async def forum_list(
        self,
        *,
        kind: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[ForumPost]:
        return await self._forum.list(kind=kind, author=author, tag=tag, limit=limit)

    async def forum_thread(self, post_id: int) -> list[ForumPost]:
        return await self._forum.thread(post_id)

    async def forum_search(self, query: str, limit: int = 20) -> list[ForumPost]:
        return await self._forum.search(query, limit=limit)

    async def forum_post(
        self,
        title: str,
        body: str = "",
        *,
        kind: str = "note",
        tags: tuple[str, ...] = (),
        parent_id: int | None = None,
    ) -> ForumPost:
        return await self._forum.post(SUPERVISOR, kind, title, body, tags=tags, parent_id=parent_id)

    async def leaderboard(self) -> list[LeaderboardEntry]:
        return self._projection.leaderboard()

    async def experiments(self, limit: int = 200) -> list[ExperimentRecord]:
        return await self._registry.list(limit)

    async def command(self, cmd: Command) -> CommandResult:
        return await self._command(cmd)

"""`LocalView`: the `EngineView` of an engine in the same process (always connected)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from engine.commands import Command, CommandResult
from engine.events import TRANSCRIPT_KINDS, Event, ForumPost
from engine.forum import SUPERVISOR
from engine.view import ConnectionState, ExperimentRecord, LeaderboardEntry, Snapshot

if TYPE_CHECKING:
    from engine.runtime import Engine


class LocalView:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def connection(self) -> ConnectionState:
        return "connected"

    async def snapshot(self) -> Snapshot:
        snap = self._engine.projection.snapshot()
        budgets = snap.budgets.model_copy(
            update={"elapsed_minutes": round(self._engine.elapsed_minutes(), 3)}
        )
        return snap.model_copy(update={"budgets": budgets})

    def events(self, after_seq: int = 0) -> AsyncIterator[Event]:
        return self._engine.events.subscribe(after_seq)

    async def transcript(self, agent_id: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        return await self._engine.events.read(
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
        return await self._engine.forum.list(kind=kind, author=author, tag=tag, limit=limit)

    async def forum_thread(self, post_id: int) -> list[ForumPost]:
        return await self._engine.forum.thread(post_id)

    async def forum_search(self, query: str, limit: int = 20) -> list[ForumPost]:
        return await self._engine.forum.search(query, limit=limit)

    async def forum_post(
        self,
        title: str,
        body: str = "",
        *,
        kind: str = "note",
        tags: tuple[str, ...] = (),
        parent_id: int | None = None,
    ) -> ForumPost:
        return await self._engine.forum.post(
            SUPERVISOR, kind, title, body, tags=tags, parent_id=parent_id
        )

    async def leaderboard(self) -> list[LeaderboardEntry]:
        return self._engine.projection.leaderboard()

    async def experiments(self, limit: int = 200) -> list[ExperimentRecord]:
        return await self._engine.registry.list(limit)

    async def command(self, cmd: Command) -> CommandResult:
        return await self._engine.command(cmd)

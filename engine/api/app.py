"""The HTTP API under `/v1`: an `EngineView` served as JSON, commands, a supervisor post, SSE.

It serves exactly the engine's records (`engine.view`, `engine.events`, `engine.commands`),
so the OpenAPI schema at `/v1/openapi.json` is the contract every client and `aar ctl
--json` share. Every request needs the run's bearer token (see `auth`). Bad input answers
4xx with a message: 422 for a request that does not fit the schema (every number finite,
every id and text bounded: `engine.bounds`), 413 for a body over the cap (`inputs`), 404
for an unknown agent or post, 409 for a command the engine refused, 400 for what the
engine rejects.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field

from engine.api.auth import BearerAuth
from engine.api.inputs import BodyLimit, Seq, validation_failed
from engine.api.stream import StreamLimits, StreamStats, event_stream
from engine.bounds import MAX_ID
from engine.commands import Command, CommandResult
from engine.errors import EngineError, ForumError
from engine.events import Event, ForumPost, HumanPostKind, PostKind, Record
from engine.view import (
    AgentInfo,
    Budgets,
    EngineView,
    ExperimentRecord,
    LeaderboardEntry,
    RunInfo,
    Snapshot,
)

API_VERSION = "v1"
SUPERVISOR = "supervisor"


class SupervisorPost(Record):
    """A forum post by the supervisor (a `result` needs a submission, so it is not offered)."""

    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=20_000)] = ""
    kind: HumanPostKind = "note"
    tags: Annotated[tuple[Annotated[str, Field(max_length=40)], ...], Field(max_length=10)] = ()
    parent_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class Problem(Record):
    detail: Any


NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "not found"}}


def _not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=what)


def create_app(
    view: EngineView,
    token: str,
    *,
    limits: StreamLimits | None = None,
) -> FastAPI:
    """The API app for one run, serving `view`."""
    app = FastAPI(
        title="aar engine API",
        version=API_VERSION,
        description="Follow and steer one aar run. Every request needs the run's bearer token.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        responses={
            400: {"model": Problem, "description": "the engine rejected the request"},
            401: {"model": Problem, "description": "missing or wrong token"},
            413: {"model": Problem, "description": "the request body is too large"},
        },
    )
    app.state.stream_stats = StreamStats()
    limits = limits or StreamLimits()

    # Starlette types a handler as taking any Exception, though it passes only the one named.
    app.add_exception_handler(RequestValidationError, validation_failed)  # type: ignore[arg-type]

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    v1 = f"/{API_VERSION}"

    @app.get(f"{v1}/snapshot", response_model=Snapshot, tags=["read"])
    async def snapshot() -> Snapshot:
        """The run's current state and the `seq` it is current to; follow events from it."""
        return await view.snapshot()

    @app.get(f"{v1}/run", response_model=RunInfo, tags=["read"])
    async def run() -> RunInfo:
        return (await view.snapshot()).run

    @app.get(f"{v1}/agents", response_model=list[AgentInfo], tags=["read"])
    async def agents() -> list[AgentInfo]:
        return list((await view.snapshot()).agents)

    async def find_agent(agent_id: str) -> AgentInfo:
        agents = (await view.snapshot()).agents
        for agent in agents:
            if agent.id == agent_id:
                return agent
        known = ", ".join(a.id for a in agents) or "none yet"
        raise _not_found(f"there is no agent {agent_id!r} (agents: {known})")

    @app.get(
        f"{v1}/agents/{{agent_id}}", response_model=AgentInfo, tags=["read"], responses=NOT_FOUND
    )
    async def agent(agent_id: Annotated[str, Path(max_length=64)]) -> AgentInfo:
        return await find_agent(agent_id)

    @app.get(
        f"{v1}/agents/{{agent_id}}/transcript",
        response_model=list[Event],
        tags=["read"],
        responses=NOT_FOUND,
    )
    async def transcript(
        agent_id: Annotated[str, Path(max_length=64)],
        after_seq: Annotated[Seq, Query()] = 0,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> list[Event]:
        """The agent's events (what it thought, did and got back) after `after_seq`."""
        await find_agent(agent_id)
        return await view.transcript(agent_id, after_seq, limit)

    @app.get(f"{v1}/forum", response_model=list[ForumPost], tags=["forum"])
    async def forum_list(
        kind: PostKind | None = None,
        author: Annotated[str | None, Query(max_length=64)] = None,
        tag: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[ForumPost]:
        return await view.forum_list(kind=kind, author=author, tag=tag, limit=limit)

    @app.get(f"{v1}/forum/search", response_model=list[ForumPost], tags=["forum"])
    async def forum_search(
        q: Annotated[str, Query(min_length=1, max_length=500)],
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
    ) -> list[ForumPost]:
        """Full-text search over titles, bodies and tags."""
        return await view.forum_search(q, limit)

    @app.get(
        f"{v1}/forum/{{post_id}}",
        response_model=list[ForumPost],
        tags=["forum"],
        responses=NOT_FOUND,
    )
    async def forum_thread(post_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> list[ForumPost]:
        """A post and its replies, oldest first."""
        try:
            thread = await view.forum_thread(post_id)
        except ForumError:
            thread = []
        if not thread:
            raise _not_found(f"there is no post {post_id}")
        return thread

    @app.post(
        f"{v1}/forum",
        response_model=ForumPost,
        status_code=201,
        tags=["forum"],
    )
    async def forum_post(post: SupervisorPost) -> ForumPost:
        """A post by the supervisor; every agent reads it on the forum."""
        return await view.forum_post(
            post.title, post.body, kind=post.kind, tags=post.tags, parent_id=post.parent_id
        )

    @app.get(f"{v1}/leaderboard", response_model=list[LeaderboardEntry], tags=["read"])
    async def leaderboard() -> list[LeaderboardEntry]:
        return await view.leaderboard()

    @app.get(f"{v1}/experiments", response_model=list[ExperimentRecord], tags=["read"])
    async def experiments(
        limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    ) -> list[ExperimentRecord]:
        return await view.experiments(limit)

    @app.get(f"{v1}/budgets", response_model=Budgets, tags=["read"])
    async def budgets() -> Budgets:
        return (await view.snapshot()).budgets

    @app.post(
        f"{v1}/commands",
        response_model=CommandResult,
        tags=["steer"],
        responses={409: {"model": CommandResult, "description": "refused"}},
    )
    async def command(cmd: Annotated[Command, Body()], request: Request) -> Any:
        """Apply a command; `applied`, `pending` (at the agent's next step) or 409 `refused`.

        `issued_by` names who gave it (`aar` clients send `user@host`); left at its default,
        it is recorded as `api:` and the caller's address, so the log still says where from.
        """
        if cmd.issued_by == SUPERVISOR:
            peer = request.client.host if request.client else "unix-socket"
            cmd = cmd.model_copy(update={"issued_by": f"api:{peer}"[:64]})
        result = await view.command(cmd)
        if result.status == "refused":
            return JSONResponse(result.model_dump(mode="json"), status_code=409)
        return result

    @app.get(
        f"{v1}/events",
        tags=["events"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "SSE"}},
    )
    async def events(
        after_seq: Annotated[Seq, Query()] = 0,
        last_event_id: Annotated[Seq | None, Header()] = None,
    ) -> StreamingResponse:
        """Every committed event after `after_seq` (or `Last-Event-ID`), live, as SSE."""
        if last_event_id is not None:
            after_seq = max(after_seq, last_event_id)
        return StreamingResponse(
            event_stream(view, after_seq, limits, app.state.stream_stats),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    @app.get(f"{v1}/openapi.json", include_in_schema=False)
    async def openapi() -> dict[str, Any]:
        return _with_security(app.openapi())

    # Added first, so it runs inside the token check: no body is read for a stranger.
    app.add_middleware(BodyLimit)
    app.add_middleware(BearerAuth, token=token)
    return app


def _with_security(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
    schema["security"] = [{"bearer": []}]
    return schema

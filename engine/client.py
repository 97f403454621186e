"""`RemoteView`: the `EngineView` of an engine reached over its HTTP API (socket, port or tunnel).

The TUI and `aar ctl` use it exactly as they use the in-process view. Requests that could
not reach the engine are retried with backoff for `retry_for` seconds; `events()` never
gives up on its own: after a drop it reconnects with backoff and resumes after the last
`seq` it yielded (`Last-Event-ID`), so nothing is missed or doubled. `connection` says
where it stands: `connecting`, `connected`, `reconnecting` (a drop, retrying) and
`disconnected` (retrying for longer than `lost_after` seconds; the engine looks lost).
Commands carry who gave them: `user@host` of this client unless the command names someone.
`projection` is the run as this client knows it: the engine's own fold
(`engine.projection.Projection`) of the last snapshot it loaded and the events it has
yielded since, so its ranks, best PGRs and counters are the engine's.
"""

from __future__ import annotations

import asyncio
import getpass
import random
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from engine.commands import Command, CommandResult
from engine.errors import EngineError
from engine.events import Event, ForumPost
from engine.projection import Projection
from engine.view import (
    AgentInfo,
    Budgets,
    ConnectionState,
    ExperimentRecord,
    LeaderboardEntry,
    Snapshot,
)

BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0
# Transport failures after which nothing can have reached the engine: safe to resend.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)


class Unauthorized(EngineError):
    """The engine refused the token."""


class Unreachable(EngineError):
    """The engine could not be reached (no socket, no tunnel, connection refused)."""


def client_identity() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:64]


class Backoff:
    """Growing delays with jitter, reset after a success."""

    def __init__(self, first: float = BACKOFF_FIRST, cap: float = BACKOFF_MAX) -> None:
        self.first, self.cap, self.next = first, cap, first

    def reset(self) -> None:
        self.next = self.first

    async def wait(self) -> None:
        delay = self.next * random.uniform(0.5, 1.0)
        self.next = min(self.cap, self.next * 2)
        await asyncio.sleep(delay)


class RemoteView:
    """An engine's API as an `EngineView`; give `socket` (a Unix socket) or `base_url`."""

    def __init__(
        self,
        token: str,
        *,
        socket: Path | str | None = None,
        base_url: str | None = None,
        where: str | None = None,
        issued_by: str | None = None,
        retry_for: float = 10.0,
        lost_after: float = 30.0,
        stream_timeout: float = 45.0,
        timeout: float = 30.0,
    ) -> None:
        if (socket is None) == (base_url is None):
            raise ValueError("give exactly one of socket and base_url")
        transport = httpx.AsyncHTTPTransport(uds=str(socket)) if socket is not None else None
        self.where = where or (f"unix:{socket}" if socket is not None else str(base_url))
        self.issued_by = issued_by or client_identity()
        self.retry_for = retry_for
        self.lost_after = lost_after
        self.stream_timeout = stream_timeout
        self._http = httpx.AsyncClient(
            base_url=(base_url or "http://aar").rstrip("/") + "/v1",
            transport=transport,
            headers={"authorization": f"Bearer {token}"},
            timeout=timeout,
        )
        self._state: ConnectionState = "connecting"
        self._failing_since: float | None = None
        self.projection: Projection | None = None  # None until the first snapshot

    # ---- connection state --------------------------------------------------------------

    @property
    def connection(self) -> ConnectionState:
        return self._state

    def _ok(self) -> None:
        self._state = "connected"
        self._failing_since = None

    def _failed(self) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        if now - self._failing_since >= self.lost_after:
            self._state = "disconnected"
        elif self._state == "connected":
            self._state = "reconnecting"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> RemoteView:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- requests ----------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        resend: tuple[type[Exception], ...] = (httpx.TransportError,),
    ) -> httpx.Response:
        backoff = Backoff()
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                response = await self._http.request(method, path, json=json, params=params)
            except resend as exc:
                self._failed()
                if time.monotonic() >= deadline:
                    raise Unreachable(f"cannot reach the engine at {self.where}: {exc}") from None
                await backoff.wait()
                continue
            except httpx.TransportError as exc:
                self._failed()
                raise Unreachable(f"lost the engine at {self.where}: {exc}") from None
            self._ok()
            if response.status_code == 401:
                raise Unauthorized(f"the engine at {self.where} refused the token")
            return response

    async def _json(self, path: str, params: dict | None = None) -> Any:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        response = await self._request("GET", path, params=params)
        if response.status_code >= 400:
            raise EngineError(_detail(response))
        return response.json()

    async def snapshot(self) -> Snapshot:
        snap = Snapshot.model_validate(await self._json("/snapshot"))
        self.projection = Projection.from_snapshot(snap)
        return snap

    async def agents(self) -> list[AgentInfo]:
        return [AgentInfo.model_validate(a) for a in await self._json("/agents")]

    async def agent(self, agent_id: str) -> AgentInfo:
        return AgentInfo.model_validate(await self._json(f"/agents/{_seg(agent_id)}"))

    async def budgets(self) -> Budgets:
        return Budgets.model_validate(await self._json("/budgets"))

    async def transcript(self, agent_id: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        rows = await self._json(
            f"/agents/{_seg(agent_id)}/transcript", {"after_seq": after_seq, "limit": limit}
        )
        return [Event.model_validate(r) for r in rows]

    async def forum_list(
        self,
        *,
        kind: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[ForumPost]:
        params = {"kind": kind, "author": author, "tag": tag, "limit": limit}
        return [ForumPost.model_validate(p) for p in await self._json("/forum", params)]

    async def forum_thread(self, post_id: int) -> list[ForumPost]:
        response = await self._request("GET", f"/forum/{int(post_id)}")
        if response.status_code == 404:
            return []
        if response.status_code >= 400:
            raise EngineError(_detail(response))
        return [ForumPost.model_validate(p) for p in response.json()]

    async def forum_search(self, query: str, limit: int = 20) -> list[ForumPost]:
        rows = await self._json("/forum/search", {"q": query, "limit": limit})
        return [ForumPost.model_validate(p) for p in rows]

    async def forum_post(
        self,
        title: str,
        body: str = "",
        *,
        kind: str = "note",
        tags: tuple[str, ...] = (),
        parent_id: int | None = None,
    ) -> ForumPost:
        """A supervisor post on the forum, through the API's `POST /v1/forum`."""
        payload = {
            "title": title,
            "body": body,
            "kind": kind,
            "tags": list(tags),
            "parent_id": parent_id,
        }
        response = await self._request("POST", "/forum", json=payload, resend=_NOT_SENT)
        if response.status_code >= 400:
            raise EngineError(_detail(response))
        return ForumPost.model_validate(response.json())

    async def leaderboard(self) -> list[LeaderboardEntry]:
        return [LeaderboardEntry.model_validate(e) for e in await self._json("/leaderboard")]

    async def experiments(self, limit: int = 200) -> list[ExperimentRecord]:
        rows = await self._json("/experiments", {"limit": limit})
        return [ExperimentRecord.model_validate(r) for r in rows]

    async def command(self, cmd: Command) -> CommandResult:
        if cmd.issued_by == "supervisor":
            cmd = cmd.model_copy(update={"issued_by": self.issued_by})
        # Resent only when the request cannot have reached the engine: never applied twice.
        response = await self._request(
            "POST", "/commands", json=cmd.model_dump(mode="json"), resend=_NOT_SENT
        )
        if response.status_code in (200, 409):
            return CommandResult.model_validate(response.json())
        raise EngineError(_detail(response))

    # ---- live events -------------------------------------------------------------------

    async def events(self, after_seq: int = 0) -> AsyncIterator[Event]:
        """Every event after `after_seq`, live; reconnects and resumes until the run's log ends."""
        last = after_seq
        backoff = Backoff()
        timeout = httpx.Timeout(self._http.timeout.connect, read=self.stream_timeout)
        while True:
            try:
                async with aconnect_sse(
                    self._http,
                    "GET",
                    "/events",
                    params={"after_seq": last},
                    headers={"last-event-id": str(last)},
                    timeout=timeout,
                ) as source:
                    if source.response.status_code == 401:
                        raise Unauthorized(f"the engine at {self.where} refused the token")
                    if source.response.status_code >= 400:
                        await source.response.aread()
                        raise EngineError(_detail(source.response))
                    self._ok()
                    backoff.reset()
                    async for kind, data in server_sent(source.response):
                        if kind == b"event":
                            event = Event.model_validate_json(data)
                            if event.seq > last:
                                last = event.seq
                                self._fold(event)
                                yield event
                        elif kind == b"end":
                            return
                        elif kind == b"cut":
                            break  # too slow for a while: resume from `last` at once
                    else:
                        self._failed()
                        await backoff.wait()
            except httpx.TransportError:
                self._failed()
                await backoff.wait()

    def _fold(self, event: Event) -> None:
        # Only an event past the snapshot's seq is new to the fold.
        if self.projection is not None and event.seq > self.projection.seq:
            self.projection.apply(event)


async def server_sent(response: httpx.Response) -> AsyncIterator[tuple[bytes, bytes]]:
    """(event name, data) of each server-sent event of the engine's stream.

    The engine ends every line with `\\n` and every event with a blank line, so whole
    events are cut from the bytes as they come; parsing them line by line in Python was
    the app's largest cost at thousands of events a second. Comments (`: keepalive`) and
    events without data are skipped."""
    pending = b""
    async for chunk in response.aiter_bytes():
        *frames, pending = (pending + chunk).split(b"\n\n")
        for frame in frames:
            kind, data = b"message", []
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                elif line.startswith(b"event:"):
                    kind = line[6:].strip()
            if data:
                yield kind, b"\n".join(data)


def _seg(text: str) -> str:
    """One URL path segment (an agent id), escaped."""
    return httpx.URL(path="/" + text).raw_path.decode()[1:].replace("/", "%2F")


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text[:300]
    if isinstance(detail, list):  # a validation error: name the field and what is wrong
        detail = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', ())[1:])}: {d.get('msg')}" for d in detail
        )
    return f"the engine answered {response.status_code}: {detail}"

"""A real server on a Unix socket and a loopback port, driven by the real client."""

from __future__ import annotations

import stat

import httpx
import pytest

from engine.api import serve_api
from engine.api.files import POINTER, find_socket, read_info, run_dir_of_socket
from engine.client import RemoteView
from engine.errors import EngineError
from engine.events import ErrorPayload
from engine.targets import LocalTarget, parse_target
from tests.api.conftest import client, collect


async def test_socket_and_token_are_private_to_the_user(serve):
    async with serve() as (engine, api):
        assert stat.S_IMODE(api.socket.stat().st_mode) == 0o600
        assert stat.S_IMODE((engine.run_dir / "token").stat().st_mode) == 0o600
        assert api.socket.parent == engine.run_dir
        info = read_info(engine.run_dir)
        assert info is not None and info.alive() and info.port == api.port
        assert api.host == "127.0.0.1"


async def test_client_reads_every_part_of_the_run_over_the_socket(serve):
    async with serve() as (engine, api), client(api) as view:
        assert view.connection == "connecting"
        posted = await view.forum_post("supervisor note", "look at logconf", tags=("Plan",))
        reply = await view.forum_post("a reply", "", parent_id=posted.id)
        await engine.events.flush()
        snap = await view.snapshot()
        assert view.connection == "connected"
        assert snap.run.run_id == engine.run_id
        assert snap.seq == engine.events.committed_seq
        assert {p.id for p in snap.forum} == {posted.id, reply.id}
        assert posted.author == "supervisor" and posted.tags == ("plan",)
        assert [p.id for p in await view.forum_thread(posted.id)] == [posted.id, reply.id]
        assert await view.forum_thread(10**6) == []
        assert [p.id for p in await view.forum_search("logconf")] == [posted.id]
        assert [p.id for p in await view.forum_list(author="supervisor")] and await view.forum_list(
            kind="result"
        ) == []
        assert await view.leaderboard() == []
        assert await view.experiments() == []
        assert (await view.budgets()).submissions_per_hour == snap.budgets.submissions_per_hour
        assert await view.agents() == []
        with pytest.raises(EngineError, match="no agent 'a9'"):
            await view.agent("a9")


async def test_the_loopback_port_serves_the_same_run(serve):
    async with serve() as (engine, api):
        assert api.url and api.url.startswith("http://127.0.0.1:")
        engine.events.append(None, ErrorPayload(message="over tcp"))
        await engine.events.flush()
        async with RemoteView(api.token, base_url=api.url) as tcp, client(api) as unix:
            assert (await tcp.snapshot()).seq == (await unix.snapshot()).seq
            events = await collect(tcp, 0, 1)
            assert events[0].payload.message == "over tcp"


async def test_an_agent_transcript_is_paged_by_seq(serve):
    async with serve(agents={"count": 1, "brain": "scripted"}) as (engine, api):
        from tests.engine.harness import running, until

        async with running(engine), client(api) as view:
            await until(lambda: engine.events.committed_seq > 60, what="a few steps")
            first = await view.transcript("a1", 0, limit=10)
            assert len(first) == 10 and all(e.agent_id == "a1" for e in first)
            after = await view.transcript("a1", first[-1].seq, limit=10)
            assert after[0].seq > first[-1].seq
            assert (await view.agent("a1")).id == "a1"


async def test_a_long_run_dir_puts_the_socket_in_the_runtime_dir_behind_a_pointer(
    open_engine, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "rt"))
    (tmp_path / "rt").mkdir(mode=0o700)
    long_dir = tmp_path / ("x" * 60) / ("y" * 60) / "run"
    engine = await open_engine(run_dir=str(long_dir))
    try:
        async with serve_api(engine.view(), engine.run_dir, run_id=engine.run_id) as api:
            assert len(str(engine.run_dir / "api.sock")) > 107
            assert api.socket.parent == tmp_path / "rt" / "aar"
            assert (engine.run_dir / POINTER).read_text().strip() == str(api.socket)
            assert find_socket(engine.run_dir) == api.socket
            assert run_dir_of_socket(api.socket) == engine.run_dir
            # A client finds it from the run dir or from the socket alone.
            for target in (str(engine.run_dir), str(api.socket)):
                parsed = parse_target(target)
                assert parsed == LocalTarget(engine.run_dir, api.socket)
            async with client(api) as view:
                assert (await view.snapshot()).run.run_id == engine.run_id
        assert not api.socket.exists() and not (engine.run_dir / POINTER).exists()
    finally:
        await engine.close()


async def test_stopping_removes_the_socket_and_a_second_server_is_refused(serve):
    async with serve() as (engine, api):
        with pytest.raises(EngineError, match="already serves this run"):
            async with serve_api(engine.view(), engine.run_dir, run_id=engine.run_id):
                pass
        assert api.socket.exists()
    assert not api.socket.exists()
    assert read_info(engine.run_dir) is None
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(api.socket))) as c:
            await c.get("http://aar/v1/run")


async def test_host_without_port_is_refused_with_a_message(open_engine):
    engine = await open_engine()
    try:
        with pytest.raises(EngineError, match="--host needs --port"):
            async with serve_api(
                engine.view(), engine.run_dir, run_id=engine.run_id, host="0.0.0.0"
            ):
                pass
    finally:
        await engine.close()


async def test_an_unreachable_engine_is_reported_after_retrying(tmp_path):
    view = RemoteView("token", socket=tmp_path / "none.sock", retry_for=0.3, lost_after=0.2)
    async with view:
        with pytest.raises(EngineError, match="cannot reach the engine"):
            await view.snapshot()
        assert view.connection == "disconnected"

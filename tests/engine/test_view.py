"""The in-process EngineView: snapshot and events agree on seq; transcripts; forum reads."""

from __future__ import annotations

import asyncio

import pytest

from engine.commands import Broadcast
from engine.errors import ForumError
from engine.view import EngineView
from tests.engine.brains import ControlledBrain
from tests.engine.harness import running, until


async def test_a_client_loads_a_snapshot_then_follows_from_its_seq(open_engine):
    engine = await open_engine(lambda *_: ControlledBrain(), agents={"count": 2})
    view = engine.view()
    assert isinstance(view, EngineView) and view.connection == "connected"
    async with running(engine):
        # Both agents: a1's transcript is read below, and under load a2 can be two steps ahead.
        agents = engine.projection.agents
        await until(lambda: all(agents[a].counters.steps >= 2 for a in ("a1", "a2")))
        snap = await view.snapshot()
        assert snap.seq == engine.events.committed_seq
        assert {a.id for a in snap.agents} == {"a1", "a2"}
        stream = view.events(snap.seq)
        nxt = await asyncio.wait_for(anext(stream), 10)
        assert nxt.seq == snap.seq + 1
        await stream.aclose()
        transcript = await view.transcript("a1", 0, 1000)
        assert transcript and all(e.agent_id == "a1" for e in transcript)
        assert {"tool_call", "tool_result", "text_delta"} <= {e.kind for e in transcript}
        assert "sandbox_stats" not in {e.kind for e in transcript}
        await view.command(Broadcast(text="hello swarm\nsecond line"))
        (post,) = await view.forum_search("swarm")
        assert post.author == "supervisor" and post.title == "hello swarm"
        assert [p.id for p in await view.forum_thread(post.id)] == [post.id]
        assert (await view.forum_list(author="supervisor"))[0].id == post.id


async def test_the_supervisor_posts_and_replies_through_the_view(open_engine):
    engine = await open_engine(lambda *_: ControlledBrain(), agents={"count": 1})
    view = engine.view()
    post = await view.forum_post("try five seeds", "single seeds mislead", tags=("Method",))
    reply = await view.forum_post("agreed", parent_id=post.id)
    assert (post.author, post.kind, post.tags) == ("supervisor", "note", ("method",))
    assert [p.id for p in await view.forum_thread(post.id)] == [post.id, reply.id]
    with pytest.raises(ForumError, match="no post 999"):
        await view.forum_post("orphan", parent_id=999)

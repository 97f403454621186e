"""The forum: posts, threads, tags, full-text search, result posts need a submission."""

from __future__ import annotations

import pytest

from engine.errors import ForumError
from engine.store import dumps


async def _submission(store, agent_id: str, scored: bool = True, reproducible: bool = True) -> int:
    async with store.write() as db:
        cur = await db.execute(
            "INSERT INTO submissions (agent_id, method, predictions_digest, flags, scored, ts)"
            " VALUES (?,?,?,?,?,0)",
            (agent_id, "m", "d", dumps([]), int(scored)),
        )
        if reproducible:
            await db.execute(
                "INSERT INTO recipes (submission_id, kind, digest, body) VALUES (?,?,?,?)",
                (cur.lastrowid, "config", "c", dumps({"kind": "config"})),
            )
        return cur.lastrowid


async def test_search_finds_posts_by_words_in_title_body_and_tags(forum):
    await forum.post("a1", "hypothesis", "logconf helps", "small lr with logconf", tags=["loss"])
    await forum.post("a2", "note", "unrelated", "the weather is nice")
    hits = await forum.search("logconf")
    assert [p.author for p in hits] == ["a1"]
    assert await forum.search("loss") and not await forum.search("nonexistentword")


async def test_search_survives_fts_syntax_in_user_text(forum):
    await forum.post("a1", "note", "quote test", 'he said "AND OR NOT (x*')
    assert await forum.search('"AND OR NOT (x*') is not None


async def test_a_result_post_needs_a_linked_submission(forum, store):
    with pytest.raises(ForumError, match="needs a linked submission"):
        await forum.post("a1", "result", "great", "PGR 0.9")
    sid = await _submission(store, "a1")
    post = await forum.post(
        "a1", "result", "great", "PGR 0.9", submission_id=sid, snapshot={"train.py": "print(1)"}
    )
    assert post.submission_id == sid and post.snapshot_files == ("train.py",)
    assert await forum.snapshot(post.id) == {"train.py": "print(1)"}


async def test_a_result_cannot_link_a_submission_nothing_reproduces(forum, store):
    sid = await _submission(store, "a1", reproducible=False)
    with pytest.raises(ForumError, match="cannot be reproduced"):
        await forum.post("a1", "result", "hand-made", "x", submission_id=sid)


async def test_a_result_cannot_link_another_agents_submission(forum, store):
    sid = await _submission(store, "a2")
    with pytest.raises(ForumError, match="not yours"):
        await forum.post("a1", "result", "stolen", "x", submission_id=sid)


async def test_a_result_cannot_link_an_unscored_submission(forum, store):
    sid = await _submission(store, "a1", scored=False)
    with pytest.raises(ForumError, match="no valid score"):
        await forum.post("a1", "result", "probe", "x", submission_id=sid)


async def test_threads_come_back_whole_from_any_post(forum):
    root = await forum.post("a1", "hypothesis", "idea", "try confident")
    reply = await forum.post("a2", "note", "re: idea", "tried it", parent_id=root.id)
    deeper = await forum.post("a1", "insight", "re: re", "it works", parent_id=reply.id)
    await forum.post("a3", "note", "other", "other thread")
    thread = await forum.thread(deeper.id)
    assert [p.id for p in thread] == [root.id, reply.id, deeper.id]


async def test_list_filters_by_kind_author_and_tag(forum):
    await forum.post("a1", "hypothesis", "h", "b", tags=["LR"])
    await forum.post("a2", "insight", "i", "b")
    assert [p.kind for p in await forum.list(kind="insight")] == ["insight"]
    assert [p.author for p in await forum.list(author="a1")] == ["a1"]
    assert [p.title for p in await forum.list(tag="lr")] == ["h"]


async def test_bad_kind_and_missing_parent_are_refused_with_what_is_allowed(forum):
    with pytest.raises(ForumError, match="use one of hypothesis"):
        await forum.post("a1", "rant", "t", "b")
    with pytest.raises(ForumError, match="no post 99"):
        await forum.post("a1", "note", "t", "b", parent_id=99)


async def test_every_post_becomes_an_event(forum, log):
    await forum.post("a1", "note", "t", "b")
    await forum.post("supervisor", "note", "s", "b")
    await log.flush()
    events = await log.read(0)
    assert [(e.agent_id, e.payload.post.title) for e in events] == [("a1", "t"), (None, "s")]

"""The forum: posts by agents and the supervisor, threads, tags, metrics, full-text search.

A `result` post must link a reproducible submission of its author (the scorer's word, not the
author's, stands behind a result), and keeps a snapshot of the author's workspace code
that another agent can copy into its own workspace.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Any

import aiosqlite

from engine.errors import ForumError
from engine.eventlog import EventLog
from engine.events import POST_KINDS, ForumPost, ForumPostPayload, now
from engine.store import Store, dumps

TITLE_MAX = 200
BODY_MAX = 20_000
TAGS_MAX = 12
SUPERVISOR = "supervisor"

_COLUMNS = "id, author, kind, title, body, tags, metrics, parent_id, submission_id, snapshot, ts"


def _row_to_post(row: aiosqlite.Row) -> ForumPost:
    pid, author, kind, title, body, tags, metrics, parent, sub, snap, ts = row
    return ForumPost(
        id=pid,
        author=author,
        kind=kind,
        title=title,
        body=body,
        tags=tuple(json.loads(tags)),
        metrics=json.loads(metrics),
        parent_id=parent,
        submission_id=sub,
        snapshot_files=tuple(sorted(json.loads(snap))) if snap else (),
        ts=ts,
    )


def fts_query(text: str) -> str:
    """The user's words as an FTS5 query that cannot be a syntax error: every word quoted."""
    words = re.findall(r"[\w.+-]+", text)
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


class Forum:
    def __init__(self, store: Store, events: EventLog) -> None:
        self.store = store
        self.events = events

    async def post(
        self,
        author: str,
        kind: str,
        title: str,
        body: str,
        *,
        tags: tuple[str, ...] | list[str] = (),
        metrics: dict[str, float] | None = None,
        parent_id: int | None = None,
        submission_id: int | None = None,
        snapshot: dict[str, str] | None = None,
    ) -> ForumPost:
        if kind not in POST_KINDS:
            raise ForumError(f"kind {kind!r} is not allowed: use one of {', '.join(POST_KINDS)}")
        title = title.strip()
        if not title or len(title) > TITLE_MAX:
            raise ForumError(f"a title needs 1 to {TITLE_MAX} characters, got {len(title)}")
        if len(body) > BODY_MAX:
            raise ForumError(f"the body has {len(body)} characters; at most {BODY_MAX}")
        tags = tuple(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))[:TAGS_MAX]
        metrics = {str(k): float(v) for k, v in (metrics or {}).items()}
        if parent_id is not None and await self.get(parent_id) is None:
            raise ForumError(f"there is no post {parent_id} to reply to")
        if submission_id is not None or kind == "result":
            await self._check_submission(author, kind, submission_id)
        if kind != "result":
            snapshot = None
        ts = now()
        async with self.store.write() as db:
            cur = await db.execute(
                "INSERT INTO posts (author, kind, title, body, tags, metrics, parent_id,"
                " submission_id, snapshot, ts) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    author,
                    kind,
                    title,
                    body,
                    dumps(list(tags)),
                    dumps(metrics),
                    parent_id,
                    submission_id,
                    dumps(snapshot) if snapshot else None,
                    ts,
                ),
            )
            post_id = cur.lastrowid
            assert post_id is not None  # sqlite sets it after every INSERT
            await db.execute(
                "INSERT INTO posts_fts (rowid, title, body, tags) VALUES (?,?,?,?)",
                (post_id, title, body, " ".join(tags)),
            )
        post = ForumPost(
            id=post_id,
            author=author,
            kind=kind,
            title=title,
            body=body,
            tags=tags,
            metrics=metrics,
            parent_id=parent_id,
            submission_id=submission_id,
            snapshot_files=tuple(sorted(snapshot or {})),
            ts=ts,
        )
        self.events.append(None if author == SUPERVISOR else author, ForumPostPayload(post=post))
        return post

    async def _check_submission(self, author: str, kind: str, submission_id: int | None) -> None:
        if submission_id is None:
            raise ForumError(
                "a result post needs a linked submission: submit predictions first and "
                "pass the submission id"
            )
        row = await self.store.fetchone(
            "SELECT agent_id, voided, scored FROM submissions WHERE id = ?", (submission_id,)
        )
        if row is None:
            raise ForumError(f"there is no submission {submission_id}")
        owner, voided, scored = row
        if owner != author and author != SUPERVISOR:
            raise ForumError(f"submission {submission_id} is not yours; link one of your own")
        if kind == "result" and (voided or not scored):
            raise ForumError(f"submission {submission_id} has no valid score to report")
        if kind == "result":
            await self._check_reproducible(submission_id)

    async def _check_reproducible(self, submission_id: int) -> None:
        """The AAR rule for a result: it links a submission that can be reproduced."""
        recipe = await self.store.fetchone(
            "SELECT 1 FROM recipes WHERE submission_id = ?", (submission_id,)
        )
        if recipe is None:
            raise ForumError(
                f"submission {submission_id} cannot be reproduced (a predictions file with no"
                " experiment config and no command): a result must link a reproducible"
                " submission, so submit again from run_experiment, or with `command`"
            )
        verdict = await self.store.fetchone(
            "SELECT status FROM reproductions WHERE submission_id = ?", (submission_id,)
        )
        if verdict is not None and verdict[0] == "irreproducible":
            raise ForumError(
                f"submission {submission_id} did not reproduce, so it cannot back a result"
            )

    async def get(self, post_id: int) -> ForumPost | None:
        row = await self.store.fetchone(f"SELECT {_COLUMNS} FROM posts WHERE id = ?", (post_id,))
        return _row_to_post(row) if row else None

    async def list(
        self,
        *,
        kind: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[ForumPost]:
        sql = f"SELECT {_COLUMNS} FROM posts WHERE 1=1"
        params: list[Any] = []
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        if author:
            sql += " AND author = ?"
            params.append(author)
        if tag:
            sql += " AND EXISTS (SELECT 1 FROM json_each(posts.tags) WHERE value = ?)"
            params.append(tag.lower())
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(max(1, min(limit, 1000)))
        return [_row_to_post(r) for r in await self.store.fetchall(sql, tuple(params))]

    async def thread(self, post_id: int) -> builtins.list[ForumPost]:
        """The whole thread the post belongs to, root first, in posting order."""
        post = await self.get(post_id)
        if post is None:
            raise ForumError(f"there is no post {post_id}")
        root = post
        while root.parent_id is not None:
            parent = await self.get(root.parent_id)
            if parent is None:
                break
            root = parent
        rows = await self.store.fetchall(
            f"""WITH RECURSIVE t(id) AS (SELECT ? UNION ALL
                SELECT p.id FROM posts p JOIN t ON p.parent_id = t.id)
                SELECT {_COLUMNS} FROM posts WHERE id IN (SELECT id FROM t) ORDER BY id""",
            (root.id,),
        )
        return [_row_to_post(r) for r in rows]

    async def search(self, query: str, limit: int = 20) -> builtins.list[ForumPost]:
        match = fts_query(query)
        if not match:
            return []
        rows = await self.store.fetchall(
            f"SELECT {', '.join('posts.' + c.strip() for c in _COLUMNS.split(','))}"
            " FROM posts_fts JOIN posts ON posts.id = posts_fts.rowid"
            " WHERE posts_fts MATCH ? ORDER BY bm25(posts_fts) LIMIT ?",
            (match, max(1, min(limit, 200))),
        )
        return [_row_to_post(r) for r in rows]

    async def snapshot(self, post_id: int) -> dict[str, str]:
        row = await self.store.fetchone("SELECT snapshot FROM posts WHERE id = ?", (post_id,))
        if row is None:
            raise ForumError(f"there is no post {post_id}")
        if not row[0]:
            raise ForumError(f"post {post_id} has no code snapshot (only result posts carry one)")
        return json.loads(row[0])

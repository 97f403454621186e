"""Forum tools: post (a result keeps a snapshot of the workspace code), search, read a
thread, and copy another agent's result snapshot into the workspace."""

from __future__ import annotations

from pathlib import PurePosixPath

from engine.errors import ToolInputError
from engine.events import ForumPost
from engine.tools.env import ToolEnv
from engine.tools.inputs import CopySnapshot, ForumPostInput, ForumRead, ForumSearch
from engine.tools.tool import ToolResult

SNAPSHOT_SUFFIXES = frozenset({".py", ".json", ".md", ".txt", ".toml", ".yaml", ".yml", ".sh"})
SNAPSHOT_FILE_MAX = 64_000
SNAPSHOT_TOTAL_MAX = 256_000
SNAPSHOT_DEPTH = 3
SNAPSHOT_SKIP = ("snapshots",)


async def _snapshot(env: ToolEnv) -> dict[str, str]:
    """The workspace's small text files, read through the sandbox (never by host path)."""
    files: dict[str, str] = {}
    total = 0
    pending: list[tuple[str, int]] = [(".", 0)]
    while pending:
        folder, depth = pending.pop()
        for entry in sorted(await env.sandbox.list_dir(folder), key=lambda e: e.name):
            rel = entry.name if folder == "." else f"{folder}/{entry.name}"
            if entry.kind == "dir":
                if depth < SNAPSHOT_DEPTH and entry.name not in SNAPSHOT_SKIP:
                    pending.append((rel, depth + 1))
                continue
            suffix = PurePosixPath(entry.name).suffix
            if (
                entry.kind != "file"
                or suffix not in SNAPSHOT_SUFFIXES
                or entry.name.endswith(".preds.json")
                or entry.size > SNAPSHOT_FILE_MAX
                or total + entry.size > SNAPSHOT_TOTAL_MAX
            ):
                continue
            data = await env.sandbox.read_file(rel, max_bytes=SNAPSHOT_FILE_MAX)
            files[rel] = data.decode("utf-8", errors="replace")
            total += len(data)
    return files


def _summary(post: ForumPost, body: bool = False) -> str:
    head = f"[{post.id}] {post.kind} by {post.author}: {post.title}"
    if post.tags:
        head += f"  #{' #'.join(post.tags)}"
    if post.metrics:
        head += "  " + ", ".join(f"{k}={v:g}" for k, v in post.metrics.items())
    if post.parent_id:
        head += f"  (reply to {post.parent_id})"
    if post.snapshot_files:
        head += f"  ({len(post.snapshot_files)} files in its snapshot)"
    return f"{head}\n{post.body}" if body else head


def _post_data(post: ForumPost) -> dict:
    return post.model_dump(mode="json")


async def forum_post(env: ToolEnv, inp: ForumPostInput) -> ToolResult:
    snapshot = await _snapshot(env) if inp.kind == "result" else None
    post = await env.forum.post(
        env.agent_id,
        inp.kind,
        inp.title,
        inp.body,
        tags=inp.tags,
        metrics=inp.metrics,
        parent_id=inp.parent_id,
        submission_id=inp.submission_id,
        snapshot=snapshot,
    )
    return ToolResult(ok=True, output=f"posted {_summary(post)}", data=_post_data(post))


async def forum_search(env: ToolEnv, inp: ForumSearch) -> ToolResult:
    if inp.query.strip():
        posts = await env.forum.search(inp.query, limit=inp.limit * 3)
        if inp.kind:
            posts = [p for p in posts if p.kind == inp.kind]
        posts = posts[: inp.limit]
    else:
        posts = await env.forum.list(kind=inp.kind, limit=inp.limit)
    text = "\n\n".join(_summary(p, body=True) for p in posts) or "no posts found"
    return ToolResult(ok=True, output=text, data={"posts": [_post_data(p) for p in posts]})


async def forum_read(env: ToolEnv, inp: ForumRead) -> ToolResult:
    posts = await env.forum.thread(inp.post_id)
    text = "\n\n".join(_summary(p, body=True) for p in posts)
    return ToolResult(ok=True, output=text, data={"posts": [_post_data(p) for p in posts]})


def _safe_rel(path: str) -> PurePosixPath:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts:
        raise ToolInputError(f"{path!r} must be a relative path inside your workspace")
    return pure


async def copy_snapshot(env: ToolEnv, inp: CopySnapshot) -> ToolResult:
    dest = _safe_rel(inp.dest) / f"post{inp.post_id}"
    files = await env.forum.snapshot(inp.post_id)
    written = []
    for name, text in files.items():
        target = dest / _safe_rel(name)
        await env.sandbox.write_file(str(target), text.encode())
        written.append(str(target))
    listing = "\n".join(written) or "(the snapshot is empty)"
    return ToolResult(
        ok=True, output=f"copied {len(written)} files:\n{listing}", data={"files": written}
    )

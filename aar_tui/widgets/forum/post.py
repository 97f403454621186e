"""One forum post rendered as Markdown, with its metadata in a header."""

from __future__ import annotations

from textual.widgets import Markdown

from aar_tui.look import fmt_clock
from engine.events import ForumPost


def post_markdown(post: ForumPost, start: float | None) -> str:
    """The post as Markdown: what the view shows and what a copy puts on the clipboard."""
    meta = [f"**{post.kind}** by **{post.author}**", fmt_clock(post.ts, start), f"#{post.id}"]
    if post.parent_id is not None:
        meta.append(f"reply to #{post.parent_id}")
    if post.submission_id is not None:
        meta.append(f"submission #{post.submission_id}")
    lines = [f"## {post.title}", "", " · ".join(meta)]
    if post.tags:
        lines += ["", "tags: " + ", ".join(f"`{t}`" for t in post.tags)]
    if post.metrics:
        lines += ["", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:g} |" for k, v in sorted(post.metrics.items())]
    if post.snapshot_files:
        lines += ["", "files kept: " + ", ".join(f"`{f}`" for f in post.snapshot_files)]
    return "\n".join([*lines, "", post.body])


class PostView(Markdown):
    DEFAULT_CSS = """
    PostView { width: 100%; padding: 0 1; }
    """

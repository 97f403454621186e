"""The forum: threads with kind and author filters, full-text search, a post as Markdown."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Static

from aar_tui.bindings import FORUM_BINDINGS
from aar_tui.messages import PostChosen
from aar_tui.modals.text import TextModal
from aar_tui.model import Changes
from aar_tui.screens.base import RunScreen
from aar_tui.widgets.forum.post import PostView, post_markdown
from aar_tui.widgets.forum.threads import ThreadTree, list_heading
from engine.events import POST_KINDS, ForumPost, PostKind

KINDS: tuple[PostKind | None, ...] = (None, *POST_KINDS)


class ForumScreen(RunScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*FORUM_BINDINGS]

    DEFAULT_CSS = """
    ForumScreen #bar { height: 1; padding: 0 1; color: $text-muted; }
    ForumScreen #search { height: 1; border: none; padding: 0 1; display: none; }
    ForumScreen #search.-on { display: block; }
    ForumScreen Horizontal { height: 1fr; }
    ForumScreen #list { width: 45%; min-width: 40; }
    ForumScreen #heading { height: 1; color: $text-muted; text-style: bold; }
    ForumScreen ThreadTree { width: 100%; height: 1fr; }
    ForumScreen #post { width: 1fr; border-left: vkey $panel; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.kind: PostKind | None = None
        self.author: str | None = None
        self.query_text = ""
        self.hits: list[ForumPost] | None = None
        self.current: int | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_header()
        yield Static("", id="bar")
        yield Input(placeholder="full-text search, enter to run, escape to clear", id="search")
        with Horizontal():
            with Vertical(id="list"):
                yield Static(Text(list_heading()), id="heading")
                yield ThreadTree(id="threads")
            with VerticalScroll(id="post"):
                yield PostView("*No post selected.*")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.query_one(ThreadTree).focus()

    def refresh_all(self) -> None:
        super().refresh_all()
        self._show_list()

    def refresh_model(self, changes: Changes) -> None:
        super().refresh_model(changes)
        if changes.forum and self.hits is None:
            self._show_list()

    def _visible(self) -> list[ForumPost]:
        posts = self.hits if self.hits is not None else list(self.model.posts.values())
        return [
            p
            for p in posts
            if (self.kind is None or p.kind == self.kind)
            and (self.author is None or p.author == self.author)
        ]

    def _show_list(self) -> None:
        posts = self._visible()
        self.query_one(ThreadTree).show_posts(posts, flat=self.hits is not None)
        parts = [
            f"{len(posts)} post(s)",
            f"kind: {self.kind or 'all'} (k)",
            f"author: {self.author or 'all'} (a)",
        ]
        if self.hits is not None:
            parts.append(f"search: {self.query_text!r} (escape clears)")
        else:
            parts.append("/ search · w write · e reply · c copy")
        self.query_one("#bar", Static).update(Text(" · ".join(parts)))
        if self.current is None and posts:
            self._show_post(max(posts, key=lambda p: p.ts).id)

    def _show_post(self, post_id: int) -> None:
        post = self.model.posts.get(post_id) or next(
            (p for p in self.hits or [] if p.id == post_id), None
        )
        if post is None:
            return
        self.current = post_id
        start = self.model.run.started_at if self.model.run else None
        self.query_one(PostView).update(post_markdown(post, start))

    def on_post_chosen(self, message: PostChosen) -> None:
        self._show_post(message.post_id)

    def action_cycle_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self._show_list()

    def action_cycle_author(self) -> None:
        authors: list[str | None] = [None, *sorted({p.author for p in self.model.posts.values()})]
        at = authors.index(self.author) if self.author in authors else 0
        self.author = authors[(at + 1) % len(authors)]
        self._show_list()

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.add_class("-on")
        box.focus()

    def action_clear_filters(self) -> None:
        box = self.query_one("#search", Input)
        box.value = ""
        box.remove_class("-on")
        self.kind = self.author = None
        self.hits = None
        self.query_text = ""
        self.query_one(ThreadTree).focus()
        self._show_list()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.action_clear_filters()
            return
        self._search(text)

    @work(exclusive=True, group="forum-search")
    async def _search(self, text: str) -> None:
        try:
            hits = await self.aar.view.forum_search(text, limit=100)
        except Exception as exc:  # a bad FTS query or a lost connection: say which
            self.notify(f"Search failed: {exc}", severity="error")
            return
        self.hits, self.query_text = hits, text
        self.query_one(ThreadTree).focus()
        self._show_list()
        if hits:
            self._show_post(hits[0].id)

    def _selected(self) -> ForumPost | None:
        return self.model.posts.get(self.current) if self.current is not None else None

    def action_write(self) -> None:
        def written(text: str | None) -> None:
            if text:
                self.aar.post(text)

        self.app.push_screen(
            TextModal(
                "Write a supervisor post",
                multiline=True,
                hint="First line: the title. Posted as the supervisor; every agent reads it.",
            ),
            written,
        )

    def action_reply(self) -> None:
        post = self._selected()
        if post is None:
            self.notify("Choose a post to reply to.", severity="warning")
            return

        def written(text: str | None) -> None:
            if text:
                self.aar.post(text, parent_id=post.id)

        self.app.push_screen(
            TextModal(
                f"Reply to #{post.id}: {post.title}", multiline=True, hint=f"by {post.author}"
            ),
            written,
        )

    def action_copy_post(self) -> None:
        post = self._selected()
        if post is None:
            self.notify("No post selected.", severity="warning")
            return
        start = self.model.run.started_at if self.model.run else None
        self.app.copy_to_clipboard(post_markdown(post, start))
        self.notify(f"Copied post #{post.id}.")

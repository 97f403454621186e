"""The forum's thread list: posts under their parents, newest thread first."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from aar_tui.look import theme_colour
from aar_tui.messages import PostChosen
from engine.events import ForumPost, PostKind

KIND_COLOUR: dict[PostKind, str] = {
    "result": "success",
    "hypothesis": "primary",
    "insight": "accent",
    "error": "error",
    "note": "secondary",
}


# Cells of the kind and author columns (the longest kind, "hypothesis"; "supervisor").
KIND_WIDTH = 10
AUTHOR_WIDTH = 10
# Cells before a top-level post's label: the room a thread's fold mark takes.
TOP_INDENT = 2


def list_heading() -> str:
    """The column heads above the list, over the labels of its top-level posts."""
    return " " * TOP_INDENT + f"{'kind':<{KIND_WIDTH}} {'author':<{AUTHOR_WIDTH}} title"


class ThreadTree(Tree[int]):
    DEFAULT_CSS = """
    ThreadTree { width: 1fr; min-width: 30; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("forum", id=id)
        self.show_root = False
        self.guide_depth = 2

    def show_posts(self, posts: list[ForumPost], *, flat: bool = False) -> None:
        """Threads of `posts` (replies under parents present), or a flat list (search hits)."""
        keep = self.cursor_node.data if self.cursor_node else None
        self.clear()
        ids = {p.id for p in posts}
        children: dict[int, list[ForumPost]] = {}
        roots: list[ForumPost] = []
        for post in posts:
            if not flat and post.parent_id is not None and post.parent_id in ids:
                children.setdefault(post.parent_id, []).append(post)
            else:
                roots.append(post)

        def add(node: TreeNode[int], post: ForumPost) -> None:
            kids = sorted(children.get(post.id, []), key=lambda p: p.ts)
            label = self._label(post, len(kids))
            if kids:
                branch = node.add(label, data=post.id, expand=True)
                for kid in kids:
                    add(branch, kid)
            else:
                node.add_leaf(label, data=post.id)

        for post in sorted(roots, key=lambda p: p.ts, reverse=not flat):
            add(self.root, post)
        if keep is not None:
            self.select_post(keep)

    def select_post(self, post_id: int) -> None:
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None and node.data == post_id:
                self.move_cursor(node)
                return

    def _label(self, post: ForumPost, replies: int) -> Text:
        """Kind and author in columns before the title, so a long title is what the
        width cuts (at the edge, when drawn), never who wrote it."""
        theme = self.app.current_theme
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(
            f"{post.kind:<{KIND_WIDTH}} ",
            style=theme_colour(theme, KIND_COLOUR.get(post.kind, "foreground")),
        )
        text.append(f"{post.author[:AUTHOR_WIDTH]:<{AUTHOR_WIDTH}} ", style="dim")
        text.append(post.title)
        if replies:
            text.append(f" ({replies})", style="dim")
        return text

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[int]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(PostChosen(event.node.data))

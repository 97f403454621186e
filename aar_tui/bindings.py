"""Every key binding of the app, each with an id so a user's keymap can rebind it.

The help screen and the command palette are generated from these lists; nothing else
declares keys. A user's keymap (`keymap.toml` in the config directory) maps ids to keys:
`"aar.agent.pause" = "ctrl+p"`.
"""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding("1", "app.switch_mode('swarm')", "Swarm", id="aar.screen.swarm"),
    Binding("2", "app.switch_mode('forum')", "Forum", id="aar.screen.forum"),
    Binding("3", "app.switch_mode('leaderboard')", "Board", id="aar.screen.leaderboard"),
    Binding("4", "app.switch_mode('events')", "Events", id="aar.screen.events"),
    Binding("question_mark", "app.help", "Help", id="aar.help", key_display="?"),
    Binding("n", "app.spawn", "Spawn", id="aar.run.spawn", show=False),
    Binding("b", "app.broadcast", "Broadcast", id="aar.run.broadcast", show=False),
    Binding("z", "app.pause_all", "Pause all", id="aar.run.pause_all", show=False),
    Binding("Z", "app.resume_all", "Resume all", id="aar.run.resume_all", show=False),
    Binding(
        "dollar_sign",
        "app.budget",
        "Raise budget",
        id="aar.run.budget",
        key_display="$",
        show=False,
    ),
    Binding("ctrl+r", "app.reveal", "Reveal private scores", id="aar.run.reveal", show=False),
    Binding("F", "app.finish", "Finish the run", id="aar.run.finish", show=False),
    Binding("ctrl+t", "app.next_theme", "Next theme", id="aar.theme.next", show=False),
    Binding("q", "app.quit_menu", "Quit", id="aar.quit"),
]

# Keys that act on one agent: the selected row on the swarm screen, the agent on its screen.
AGENT_BINDINGS: list[Binding] = [
    Binding("p", "pause", "Pause", id="aar.agent.pause"),
    Binding("P", "hard_pause", "Hard pause", id="aar.agent.hard_pause", show=False),
    Binding("r", "resume", "Resume", id="aar.agent.resume"),
    Binding("i", "redirect", "Redirect", id="aar.agent.redirect"),
    Binding("x", "stop", "Stop", id="aar.agent.stop", show=False),
    Binding("c", "copy_output", "Copy output", id="aar.agent.copy", show=False),
]

SWARM_BINDINGS: list[Binding] = [
    Binding("enter", "open_agent", "Open", id="aar.swarm.open", show=False),
    Binding("a", "next_attention", "Next needing attention", id="aar.swarm.attention"),
    Binding(
        "right_square_bracket",
        "page(1)",
        "Next panes",
        id="aar.swarm.next_page",
        key_display="]",
        show=False,
    ),
    Binding(
        "left_square_bracket",
        "page(-1)",
        "Previous panes",
        id="aar.swarm.prev_page",
        key_display="[",
        show=False,
    ),
    Binding("tab", "app.focus_next", "Table/panes", id="aar.swarm.focus", show=False),
]

AGENT_SCREEN_BINDINGS: list[Binding] = [
    Binding("escape", "app.pop_screen", "Back", id="aar.agent.back"),
    Binding("f", "toggle_folds", "Fold/unfold all", id="aar.agent.folds"),
    Binding("enter", "toggle_record", "Fold/unfold record", id="aar.agent.fold", show=False),
    Binding(
        "left_square_bracket",
        "select_record(-1)",
        "Previous record",
        id="aar.agent.prev_record",
        key_display="[",
        show=False,
    ),
    Binding(
        "right_square_bracket",
        "select_record(1)",
        "Next record",
        id="aar.agent.next_record",
        key_display="]",
        show=False,
    ),
    Binding("t", "toggle_thinking", "Thinking on/off", id="aar.agent.thinking", show=False),
]

FORUM_BINDINGS: list[Binding] = [
    Binding("slash", "search", "Search", id="aar.forum.search", key_display="/"),
    Binding("k", "cycle_kind", "Kind filter", id="aar.forum.kind"),
    Binding("a", "cycle_author", "Author filter", id="aar.forum.author", show=False),
    Binding("w", "write", "Write", id="aar.forum.write"),
    Binding("e", "reply", "Reply", id="aar.forum.reply", show=False),
    Binding("c", "copy_post", "Copy post", id="aar.forum.copy", show=False),
    Binding("escape", "clear_filters", "Clear filters", id="aar.forum.clear", show=False),
]

BOARD_BINDINGS: list[Binding] = [
    Binding("enter", "open_submission", "Open", id="aar.board.open"),
    Binding("v", "void", "Void", id="aar.board.void"),
    Binding("p", "reproduce", "Reproduce", id="aar.board.reproduce"),
    Binding("ctrl+r", "app.reveal", "Reveal private", id="aar.board.reveal"),
]

EVENTS_BINDINGS: list[Binding] = [
    Binding("slash", "filter", "Filter", id="aar.events.filter", key_display="/"),
    Binding("escape", "clear_filter", "Clear filter", id="aar.events.clear", show=False),
]

# The help screen's sections, in order.
GROUPS: list[tuple[str, list[Binding]]] = [
    ("Everywhere", APP_BINDINGS),
    ("An agent (swarm table or agent screen)", AGENT_BINDINGS),
    ("Swarm", SWARM_BINDINGS),
    ("Agent screen", AGENT_SCREEN_BINDINGS),
    ("Forum", FORUM_BINDINGS),
    ("Leaderboard", BOARD_BINDINGS),
    ("Events", EVENTS_BINDINGS),
]

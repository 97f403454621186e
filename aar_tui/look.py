"""How states and figures look: a glyph and a theme colour per agent state, number formats.

Colours are the theme's semantic ones (success, warning, error...), so every theme,
built-in or a user's, colours states sensibly, and each state also has its own glyph so
it reads in 256 colours, in monochrome and to colour-blind eyes.
"""

from __future__ import annotations

from rich.errors import StyleSyntaxError
from rich.style import Style
from textual.color import Color, ColorParseError
from textual.theme import Theme

from engine.texts import pgr_text

STATE_GLYPH = {
    "starting": "◌",
    "running": "●",
    "waiting": "◔",
    "pausing": "◐",
    "paused": "‖",
    "stopping": "◑",
    "stopped": "■",
    "finished": "✓",
    "failed": "✗",
}

_STATE_COLOUR = {
    "starting": "primary",
    "running": "success",
    "waiting": "secondary",
    "pausing": "warning",
    "paused": "warning",
    "stopping": "warning",
    "stopped": "foreground",
    "finished": "primary",
    "failed": "error",
}

# Pane line kinds (see activity.STYLES) and the theme colour each is drawn in.
LINE_COLOUR = {
    "text": "foreground",
    "thinking": "secondary",
    "tool": "accent",
    "out": "foreground",
    "err": "error",
    "state": "primary",
    "good": "success",
    "bad": "error",
    "cmd": "warning",
}
DIM_LINES = frozenset({"thinking", "out"})


def theme_colour(theme: Theme, name: str) -> str:
    """A theme colour as Rich writes it: Textual's `ansi_blue` is Rich's `color(4)`."""
    value = getattr(theme, name, None) or theme.foreground
    if not value:
        return "#e0e0e0" if theme.dark else "#202020"
    return Color.parse(value).rich_color.name


def renders(theme: Theme) -> bool:
    """Whether every colour the screens draw with becomes a Rich style in this theme."""
    names = {*_STATE_COLOUR.values(), *LINE_COLOUR.values(), "warning", "error"}
    try:
        for name in names:
            Style.parse("bold " + theme_colour(theme, name))
    except (ColorParseError, StyleSyntaxError):
        return False
    return True


def state_style(theme: Theme, state: str) -> str:
    return "bold " + theme_colour(theme, _STATE_COLOUR.get(state, "foreground"))


def line_style(theme: Theme, kind: str) -> str:
    colour = theme_colour(theme, LINE_COLOUR.get(kind, "foreground"))
    return f"dim {colour}" if kind in DIM_LINES else colour


def state_label(state: str) -> str:
    return f"{STATE_GLYPH.get(state, '?')} {state}"


def fmt_pgr(value: float | None) -> str:
    return pgr_text(value, undefined="—")


def fmt_tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1_000:
        return f"{n / 1_000:.1f}k"
    return str(n)


def fmt_cost(usd: float) -> str:
    return f"${usd:.2f}"


def fmt_minutes(minutes: float) -> str:
    """A limit in minutes as a person would write it: a resumed run's 2.99199 reads 3."""
    if minutes >= 10:
        return f"{minutes:.0f}"
    if minutes >= 1:
        return f"{minutes:.1f}".removesuffix(".0")
    return f"{minutes:.2g}"  # a short trial run's 0.05 stays 0.05, not 0


def fmt_duration(seconds: float) -> str:
    s = int(max(0, seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def fmt_clock(ts: float, start: float | None) -> str:
    """A time as offset from the run's start (stable across time zones and in tests):
    `+MM:SS` in the first hour, `+H:MM:SS` after."""
    if not start:
        return fmt_duration(ts % 86400)
    s = int(max(0, ts - start))
    if s < 3600:
        return f"+{s // 60:02d}:{s % 60:02d}"
    return f"+{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"

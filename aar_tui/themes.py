"""Loading colour themes from data files: the project's own and a user's.

A theme file is TOML with Textual's theme fields (`name`, `primary`, ... , `dark`,
`[variables]`). The project's themes live in the top-level `themes/` folder; a user's in
`$AAR_CONFIG_DIR/themes` or else `$XDG_CONFIG_HOME/aar/themes` (`~/.config/aar/themes`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from textual.theme import BUILTIN_THEMES, Theme

from aar_tui.errors import ThemeError
from aar_tui.look import renders
from themes import THEMES_DIR

DEFAULT_THEME = "aar-dark"

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_ALLOWED = {f.name for f in fields(Theme)}


@dataclass(frozen=True)
class LoadedThemes:
    """Themes that loaded, and one line per file that did not (shown to the user, not fatal)."""

    themes: dict[str, Theme]
    problems: tuple[str, ...]


def user_themes_dir() -> Path:
    """Where a user's own theme files are looked for."""
    if root := os.environ.get("AAR_CONFIG_DIR"):
        return Path(root) / "themes"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "aar" / "themes"


def parse_theme(path: Path) -> Theme:
    """One theme file as a Textual `Theme`; raises ThemeError naming the file and the field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"theme file {path}: not readable TOML ({exc})") from None
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise ThemeError(
            f"theme file {path}: unknown field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_ALLOWED))}"
        )
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ThemeError(f"theme file {path}: `{key}` is required and must be a string")
    for key in _COLOUR_FIELDS:
        if key in data and not _is_colour(data[key]):
            raise ThemeError(
                f"theme file {path}: `{key}` = {data[key]!r} is not a colour "
                "(use #rrggbb or a colour name)"
            )
    if "dark" in data and not isinstance(data["dark"], bool):
        raise ThemeError(f"theme file {path}: `dark` must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeError(f"theme file {path}: `[variables]` must map names to strings")
    return Theme(**data)


def _is_colour(value: object) -> bool:
    from textual.color import Color, ColorParseError

    if not isinstance(value, str):
        return False
    try:
        Color.parse(value)
    except ColorParseError:
        return False
    return True


def load_themes(extra_dirs: tuple[Path, ...] | None = None) -> LoadedThemes:
    """The project's themes, then the user's (a user file may override a project theme)."""
    dirs = (THEMES_DIR, user_themes_dir()) if extra_dirs is None else (THEMES_DIR, *extra_dirs)
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = parse_theme(path)
            except ThemeError as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    return LoadedThemes(themes, tuple(problems))


def theme_names(loaded: LoadedThemes) -> list[str]:
    """Every name `--theme` and `ctrl+t` offer: the project's and user's themes and Textual's
    built-ins, less any whose colours the screens could not draw with."""
    every = BUILTIN_THEMES | loaded.themes
    return sorted(name for name, theme in every.items() if renders(theme))


def check_theme_name(name: str, loaded: LoadedThemes) -> str:
    """The name if it is a known theme; else ThemeError listing the names allowed."""
    allowed = theme_names(loaded)
    if name not in allowed:
        raise ThemeError(f"unknown theme {name!r}; choose one of: {', '.join(allowed)}")
    return name

"""A user's keymap: binding ids mapped to keys, from `keymap.toml` in the config directory.

"aar.agent.pause" = "ctrl+p"
"aar.agent.redirect" = "i,R"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from aar_tui.bindings import GROUPS
from aar_tui.themes import user_themes_dir


def default_keymap_path() -> Path:
    return user_themes_dir().parent / "keymap.toml"


def known_ids() -> set[str]:
    return {b.id for _, group in GROUPS for b in group if b.id}


def load_keymap(path: Path | None, problems: list[str]) -> dict[str, str]:
    """The keymap at `path` (default: the config directory's); problems are listed, not fatal."""
    path = path or default_keymap_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"keymap {path}: not readable TOML ({exc})")
        return {}
    ids = known_ids()
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if binding_id not in ids:
            problems.append(
                f"keymap {path}: unknown binding id {binding_id!r}; "
                "the help screen (?) lists every id"
            )
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f'keymap {path}: {binding_id} must be a key such as "ctrl+p"')
        else:
            keymap[binding_id] = keys
    return keymap

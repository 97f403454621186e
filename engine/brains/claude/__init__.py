"""The Claude brain: agents driven by the Anthropic Messages API with tool use.

`make_claude_brain(direction, model)` builds one agent's brain with the settings of
`ClaudeSettings.from_env()`; `require_key()` fails early, in one line, when no API key is
set. The model table and prices are in `models`, the prompt in `system_prompt.md`.
"""

from __future__ import annotations

from engine.brains.claude.brain import ClaudeBrain
from engine.brains.claude.models import DEFAULT_MODEL, MODELS
from engine.brains.claude.settings import ClaudeSettings
from engine.brains.claude.transport import KEY_HINT, has_key
from engine.errors import ConfigError

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "ClaudeBrain",
    "ClaudeSettings",
    "make_claude_brain",
    "require_key",
]


def require_key() -> None:
    if not has_key():
        raise ConfigError(f"the claude brain needs an API key: {KEY_HINT}")


def make_claude_brain(direction: str, model: str | None = None) -> ClaudeBrain:
    require_key()
    settings = ClaudeSettings.from_env().with_model(model)
    return ClaudeBrain(direction=direction, settings=settings)

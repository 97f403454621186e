"""The brains an agent can have, by name; `make_brain` builds one for an agent."""

from __future__ import annotations

from engine.brain import Brain
from engine.errors import ConfigError

BRAIN_NAMES = ("offline", "scripted", "claude")


def preflight(name: str) -> None:
    """Fail at once, in one line, when a brain cannot start (no API key for claude)."""
    if name == "claude":
        from engine.brains.claude import require_key

        require_key()


def make_brain(name: str, *, direction: str, seed: int, model: str | None = None) -> Brain:
    if name == "offline":
        from engine.brains.offline.researcher import OfflineResearcher

        return OfflineResearcher(direction=direction, seed=seed)
    if name == "scripted":
        from engine.brains.scripted import ScriptedBrain

        return ScriptedBrain()
    if name == "claude":
        from engine.brains.claude import make_claude_brain

        return make_claude_brain(direction, model)
    raise ConfigError(f"brain {name!r} is not allowed: use one of {', '.join(BRAIN_NAMES)}")

"""The brains an agent can have, by name; `make_brain` builds one for an agent."""

from __future__ import annotations

from engine.brain import Brain
from engine.errors import ConfigError

BRAIN_NAMES = ("offline", "scripted", "claude")


def make_brain(name: str, *, direction: str, seed: int, model: str | None = None) -> Brain:
    if name == "offline":
        from engine.brains.offline import OfflineResearcher

        return OfflineResearcher(direction=direction, seed=seed)
    if name == "scripted":
        from engine.brains.scripted import ScriptedBrain

        return ScriptedBrain()
    if name == "claude":
        raise ConfigError(
            "brain 'claude' is not available in this build; use brain 'offline' (no key needed)"
        )
    raise ConfigError(f"brain {name!r} is not allowed: use one of {', '.join(BRAIN_NAMES)}")

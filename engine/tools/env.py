"""What a tool may touch: one agent's sandbox and the run's shared services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.config import RunConfig

if TYPE_CHECKING:
    from engine.cleanroom import CleanRoom
    from engine.eventlog import EventLog
    from engine.forum import Forum
    from engine.registry import Registry
    from engine.scoring import Scorer
    from engine.snapshots import SnapshotStore
    from engine.view import LeaderboardEntry
    from engine.watch import Watch
    from sandbox import Sandbox


def w2s_normalise(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A method config with its defaults filled in, and its digest (w2s's own rules)."""
    from w2s.methods import parse_method_config

    parsed = parse_method_config(config)
    return parsed.to_dict(), parsed.digest()


@dataclass
class ToolEnv:
    agent_id: str
    sandbox: Sandbox
    events: EventLog
    forum: Forum
    registry: Registry
    scorer: Scorer
    config: RunConfig
    leaderboard: Callable[[], list[LeaderboardEntry]]
    experiments_done: Callable[[], int]
    # Where the engine's own runs happen: a fresh sandbox each, never this agent's.
    clean: CleanRoom
    snapshots: SnapshotStore
    normalise: Callable[[dict[str, Any]], tuple[dict[str, Any], str]] = w2s_normalise
    call_id: str = ""
    # predictions-file digest -> experiment digest, to link a submission to its experiment
    predictions_of: dict[str, str] = field(default_factory=dict)
    # Reads the scripts a command ran; None where no watch is kept (tests of one tool).
    watch: Watch | None = None

"""What the offline researcher reads on the forum and the leaderboard: others' scored trials
(told to its model of the space) and the lessons of insight posts (which it tests next)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.brains.offline.beliefs import as_told
from engine.brains.offline.space import DIMS

# A result post carries its config in one fenced block, so that others can read it back.
_CONFIG_BLOCK = re.compile(r"```json\n(\{.*?\})\n```", re.S)
# An insight's title: "<field>: <value> beats <value> (...)".
_LESSON = re.compile(r"^(\w+): (\S+) beats ")


@dataclass(frozen=True)
class ReadTrial:
    """A scored trial of another agent, read from a post or a leaderboard row."""

    key: str  # "sub-<id>": one key per submission, however it was read
    config: dict[str, Any]
    by: str
    pgr: float
    accuracy: float | None
    post_id: int | None = None


def config_block(config: dict[str, Any]) -> str:
    return "```json\n" + json.dumps(config, sort_keys=True) + "\n```"


def result_trial(post: dict[str, Any]) -> ReadTrial | None:
    """The trial a `result` post reports, when it carries a config and a score."""
    m = _CONFIG_BLOCK.search(post.get("body") or "")
    pgr = (post.get("metrics") or {}).get("pgr")
    if m is None or pgr is None or post.get("submission_id") is None:
        return None
    try:
        config = json.loads(m.group(1))
    except ValueError:
        return None
    if not isinstance(config, dict):
        return None
    return ReadTrial(
        key=f"sub-{post['submission_id']}",
        config=config,
        by=str(post.get("author")),
        pgr=float(pgr),
        accuracy=(post.get("metrics") or {}).get("accuracy"),
        post_id=int(post["id"]),
    )


def board_trial(row: dict[str, Any]) -> ReadTrial | None:
    try:
        config = json.loads(row["method"])
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(config, dict) or row.get("pgr") is None:
        return None
    return ReadTrial(
        key=f"sub-{row['submission_id']}",
        config=config,
        by=str(row["agent_id"]),
        pgr=float(row["pgr"]),
        accuracy=row.get("accuracy"),
    )


def verdict_told(
    v: dict[str, Any], stand_in: Callable[[dict[str, Any], float], float] | None = None
) -> tuple[str, dict[str, Any], float] | None:
    """(key, config, the value the model is told) for another agent's full run as its
    submitter was told it (an `experiment_lookup` verdict); None for a screen, a
    reproduction (its config is known already), a degenerate or an unscored one. A run the
    Ladder released nothing for is told `stand_in(diagnostics, held)` (`Knowledge.stand_in`),
    or a little below the best its submitter held."""
    config, score = v.get("config"), v.get("released") or v.get("held")
    if not isinstance(config, dict) or not score or score.get("pgr") is None:
        return None
    if "degenerate" in v.get("flags", ()) or float(config.get("data_fraction", 1.0)) < 1.0:
        return None
    if config.get("data_seed") is not None:
        return None
    key, pgr, released = f"sub-{v['submission_id']}", float(score["pgr"]), bool(v.get("released"))
    if not released and stand_in is not None:
        return key, config, stand_in(v.get("diagnostics") or {}, pgr)
    value = as_told(pgr, released)
    assert value is not None  # pgr is a score
    return key, config, value


def verdict_release(v: dict[str, Any]) -> tuple[str, dict[str, Any], float] | None:
    """(key, diagnostics, PGR) of another agent's run that the Ladder released a score for,
    at any fidelity: a point for the proxy; None otherwise, or for a degenerate run."""
    score, diagnostics = v.get("released") or {}, v.get("diagnostics")
    if score.get("pgr") is None or not diagnostics or "degenerate" in v.get("flags", ()):
        return None
    return f"sub-{v['submission_id']}", diagnostics, float(score["pgr"])


def lesson(title: str) -> tuple[str, Any] | None:
    """The (field, best value) an insight's title states, when it names a searched field."""
    m = _LESSON.match(title)
    if m is None or m.group(1) not in DIMS:
        return None
    raw = m.group(2)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    dim = DIMS[m.group(1)]
    if dim.kind in ("choice", "bool") and value not in (*dim.choices, True, False):
        return None
    return m.group(1), value

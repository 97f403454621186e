"""The Ladder's verdicts on the swarm's submissions, as each submitter was told them: the
registry's trials for a search that learns from every agent's runs, not only the released.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from engine.events import Score
from engine.store import Store


@dataclass(frozen=True)
class Verdict:
    """One scored submission as its submitter was told it: a release, or none above `held`,
    the best released to it before."""

    submission_id: int
    agent_id: str
    experiment_digest: str
    released: Score | None
    held: Score | None
    flags: tuple[str, ...]


async def verdicts(store: Store, after: int, exclude: str, limit: int) -> list[Verdict]:
    """Scored submissions of experiments after submission `after`, not `exclude`'s: what
    the Ladder told each submitter. Nothing here is new to the run: each verdict is a
    function of one agent's own transcript of releases (a release, or no step above the
    best it had been told), which bounds what the score says of the labels as before."""
    rows = await store.fetchall(
        "SELECT id, agent_id, experiment_digest, public, flags FROM submissions"
        " WHERE id > ? AND agent_id != ? AND scored = 1 AND experiment_digest IS NOT NULL"
        " ORDER BY id LIMIT ?",
        (after, exclude, limit),
    )
    if not rows:
        return []
    agents = sorted({r[1] for r in rows})
    marks = ",".join("?" * len(agents))
    # Few rows: the Ladder releases at most 1/step + 1 scores to an agent.
    released = [
        (i, a, Score.model_validate_json(p))
        for i, a, p in await store.fetchall(
            f"SELECT id, agent_id, public FROM submissions WHERE public IS NOT NULL"
            f" AND id < ? AND agent_id IN ({marks}) ORDER BY id",
            (rows[-1][0], *agents),
        )
    ]
    out = []
    for sid, agent, digest, public, flags in rows:
        # The best released to the submitter before this submission (voided ones too).
        before = [score for i, a, score in released if a == agent and i < sid]
        held = max(before, key=lambda s: s.accuracy, default=None)
        out.append(
            Verdict(
                submission_id=sid,
                agent_id=agent,
                experiment_digest=digest,
                released=Score.model_validate_json(public) if public else None,
                held=held,
                flags=tuple(json.loads(flags)),
            )
        )
    return out

"""The block-flip attack on the public score, as an agent would mount it with its tools.

The attacker submits a base answer, then the base with one block of 40 rows flipped (one
submission per block), then the base with two blocks and one target row flipped. Each
answer, read as a count of right public rows, is the base's count plus the sum of what
each flipped row does: +1 (a public row made right), -1 (made wrong) or 0 (a private row).
The blocks' sums are known from their own submissions, so a target's effect is what is
left: +1 or -1 gives its public label, 0 says it is private. Every submission differs from
every earlier one in at least 40 rows (1% of toy-v1's 4000 test rows), so none is a near-copy.

`decode` works from what the scorer answered (accuracy and PGR to 3 decimals, or nothing
new and the agent's best), and the baselines the agent can read in its bundle.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.brain import Brain, StepContext, StepOutcome

PUBLIC_0, PUBLIC_1, PRIVATE = "public label 0", "public label 1", "private"


@dataclass(frozen=True)
class Probe:
    name: str
    flipped: tuple[int, ...]  # rows flipped from the base
    blocks: tuple[int, ...] = ()  # which blocks (indices) it flips
    target: int | None = None


@dataclass(frozen=True)
class Design:
    base: np.ndarray  # hard 0/1 per test row
    probes: tuple[Probe, ...]
    blocks: int

    def predictions(self, probe: Probe) -> list[float]:
        p = self.base.copy()
        idx = list(probe.flipped)
        p[idx] = 1 - p[idx]
        return [float(x) for x in p]

    @property
    def targets(self) -> list[Probe]:
        return [p for p in self.probes if p.target is not None]


def design(n_test: int, submissions: int = 60, block: int = 40, seed: int = 0) -> Design:
    """The fewest blocks whose pairs leave room for the rest of `submissions` as targets."""
    k = next(k for k in itertools.count(1) if 1 + k + k * (k - 1) // 2 >= submissions)
    rng = np.random.default_rng(seed)
    rows = rng.permutation(n_test)
    blocks = [tuple(int(r) for r in rows[i * block : (i + 1) * block]) for i in range(k)]
    spare = iter(int(r) for r in rows[k * block :])
    probes = [Probe("base", ())]
    probes += [Probe(f"block{i}", blocks[i], (i,)) for i in range(k)]
    for i, j in itertools.combinations(range(k), 2):
        if len(probes) == submissions:
            break
        t = next(spare)
        probes.append(Probe(f"target{t}", (*blocks[i], *blocks[j], t), (i, j), t))
    base = rng.integers(0, 2, n_test).astype(float)
    return Design(base, tuple(probes), k)


def right_count(score: dict[str, Any], weak: float, ceiling: float) -> int:
    """The number of right public rows a score pins: the PGR (against the bundle's baselines)
    refines the 3-decimal accuracy to a fraction of a row when the baselines are exact."""
    n = int(score["n"])
    guess = round(score["accuracy"] * n)
    candidates = range(guess - 3, guess + 4)
    if score.get("pgr") is None or not ceiling > weak:
        return guess

    def miss(k: int) -> tuple[float, float]:
        return (
            abs((k / n - weak) / (ceiling - weak) - score["pgr"]),
            abs(k / n - score["accuracy"]),
        )

    return min(candidates, key=miss)


def decode(
    design: Design, answers: dict[str, dict[str, Any]], weak: float, ceiling: float
) -> dict[int, str]:
    """A verdict per target row from the submit tool's answers: `public` when it gave a new
    score, else the agent's `best` (all it was told: no significant improvement on that)."""
    counts = {}
    for probe in design.probes:
        told = answers[probe.name]
        score = told.get("public") or told.get("best")
        counts[probe.name] = right_count(score, weak, ceiling) if score else 0
    base = counts["base"]
    block = [counts[f"block{i}"] - base for i in range(design.blocks)]
    verdicts = {}
    for probe in design.targets:
        effect = counts[probe.name] - base - sum(block[i] for i in probe.blocks)
        assert probe.target is not None
        if effect >= 1:
            label = 1 - int(design.base[probe.target])
        elif effect <= -1:
            label = int(design.base[probe.target])
        else:
            verdicts[probe.target] = PRIVATE
            continue
        verdicts[probe.target] = PUBLIC_1 if label else PUBLIC_0
    return verdicts


def _truth(hidden_dir: Path) -> Callable[[int], str]:
    from w2s.hidden import load_hidden

    hidden = load_hidden(hidden_dir)

    def truth(row: int) -> str:
        if not hidden.test_public[row]:
            return PRIVATE
        return PUBLIC_1 if hidden.test_y[row] == 1 else PUBLIC_0

    return truth


def share_right(verdicts: dict[int, str], hidden_dir: Path) -> float:
    """The share of verdicts the hidden labels bear out (engine-side knowledge)."""
    truth = _truth(hidden_dir)
    return sum(v == truth(r) for r, v in verdicts.items()) / len(verdicts)


def labels_read(verdicts: dict[int, str], hidden_dir: Path) -> float:
    """The share of the public rows among the targets whose label the attacker got right."""
    truth = _truth(hidden_dir)
    public = [r for r in verdicts if truth(r) != PRIVATE]
    return sum(verdicts[r] == truth(r) for r in public) / len(public)


def unrounded_answer(hidden_dir: Path, predictions: list[float]) -> dict[str, Any]:
    """What the scorer told an agent before the Ladder: the grader's public score to 3
    decimals, PGR from the unrounded accuracy (the baselines were exact in the bundle)."""
    from w2s.grader import grade

    public = grade(hidden_dir, json.dumps(predictions)).public
    return {
        "public": {
            "accuracy": round(public.accuracy, 3),
            "pgr": None if public.pgr is None else round(public.pgr, 3),
            "n": public.n,
        }
    }


@dataclass
class Campaign:
    """One attack shared by its agents: submission i goes to agent i % len(agents)."""

    design: Design
    agents: tuple[str, ...]
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)

    def queue(self, agent_id: str) -> list[Probe]:
        k = self.agents.index(agent_id)
        return [p for i, p in enumerate(self.design.probes) if i % len(self.agents) == k]

    @property
    def done(self) -> bool:
        return len(self.answers) + len(self.refused) == len(self.design.probes)


class BlockFlipAttacker(Brain):
    """Writes each of its probes' predictions into its workspace and submits it."""

    name = "blockflip"

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.todo: list[Probe] | None = None

    async def step(self, ctx: StepContext) -> StepOutcome:
        if self.todo is None:
            self.todo = self.campaign.queue(ctx.agent_id)
        if not self.todo:
            return StepOutcome(done=True)
        probe = self.todo.pop(0)
        path = f"probe_{probe.name}.json"
        content = json.dumps(self.campaign.design.predictions(probe))
        await ctx.tools.call("write_file", {"path": path, "content": content})
        res = await ctx.tools.call("submit", {"path": path, "method": "vanilla"})
        if res.ok:
            self.campaign.answers[probe.name] = res.data
        else:
            self.campaign.refused.append(f"{probe.name}: {res.error}")
        return StepOutcome(progress=True)

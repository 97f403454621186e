"""Attacks on the public score, made through the submit tool in a real run."""

from __future__ import annotations

import json

from engine.brain import Brain, StepContext, StepOutcome
from engine.events import AgentState
from engine.tools.tool import ToolResult
from tests.engine.harness import running, until
from tests.security.blockflip import (
    BlockFlipAttacker,
    Campaign,
    decode,
    design,
    labels_read,
    share_right,
    unrounded_answer,
)


def _bundle_baselines(prepared) -> dict:
    return json.loads((prepared.bundle_dir / "baselines.json").read_text())


async def test_block_flips_from_two_agents_decode_labels_no_better_than_chance(
    open_engine, prepared_fixed
):
    n_test = json.loads((prepared_fixed.bundle_dir / "manifest.json").read_text())["rows"]["test"]
    campaign = Campaign(design(n_test, submissions=60, block=40, seed=3), ("a1", "a2"))
    engine = await open_engine(
        lambda *_: BlockFlipAttacker(campaign), agents={"count": 2, "brain": "scripted"}
    )
    async with running(engine):
        await until(lambda: campaign.done, timeout=240, what="the 60 submissions")
        await until(
            lambda: all(a.state == AgentState.FINISHED for a in engine.agents.values()),
            what="the attackers to finish",
        )
        await engine.events.flush()
        snapshot = await engine.view().snapshot()
        events = await engine.events.read(0, limit=100_000)
    assert campaign.refused == []
    bundle = _bundle_baselines(prepared_fixed)
    weak, ceiling = bundle["weak_accuracy_public"], bundle["ceiling_accuracy_public"]
    verdicts = decode(campaign.design, campaign.answers, weak, ceiling)
    assert len(verdicts) == 48
    assert share_right(verdicts, prepared_fixed.hidden_dir) <= 0.6
    assert labels_read(verdicts, prepared_fixed.hidden_dir) <= 0.6
    # The flag fires on both ids: each made many small-block variations.
    watched = {
        e.agent_id for e in events if e.kind == "watch_flag" and e.payload.what == "adaptive"
    }
    assert watched == {"a1", "a2"}
    assert all("watch" in a.flags for a in snapshot.agents)
    assert any("adaptive" in a["flags"] for a in campaign.answers.values())
    # Nothing an agent can read is finer than the grid: answers, events, the leaderboard.
    step = bundle["step"]
    told = [a["public"] for a in campaign.answers.values() if a["public"]]
    told += [
        e.payload.public.model_dump() for e in events if e.kind == "submission" and e.payload.public
    ]
    told += [e.public.model_dump() for e in snapshot.leaderboard]
    assert told and all(round(s["accuracy"] / step, 6).is_integer() for s in told)


async def test_the_same_decoder_reads_labels_off_the_unrounded_score(prepared_fixed):
    """The companion: the design and decoder above, against what the scorer answered before
    the Ladder (exact baselines, PGR from the unrounded accuracy), read nearly every row."""
    from w2s.hidden import load_hidden

    hidden = load_hidden(prepared_fixed.hidden_dir)
    attack = design(len(hidden.test_y), submissions=60, block=40, seed=3)
    answers = {
        p.name: unrounded_answer(prepared_fixed.hidden_dir, attack.predictions(p))
        for p in attack.probes
    }
    weak, ceiling = hidden.baselines["weak"]["public"], hidden.baselines["ceiling"]["public"]
    verdicts = decode(attack, answers, weak, ceiling)
    assert len(verdicts) == 48
    assert share_right(verdicts, prepared_fixed.hidden_dir) >= 0.95
    assert labels_read(verdicts, prepared_fixed.hidden_dir) >= 0.95


_MAJORITY = """
import json, numpy as np
soft = np.load("/bundle/test.npz")["weak_soft"]
major = float(np.mean(soft >= 0.5) >= 0.5)
answer = np.full(len(soft), major)
json.dump(answer.tolist(), open("majority.json", "w"))
answer[:30] = 1 - major  # 30 rows of the other class, to dodge an all-one-class check
json.dump(answer.tolist(), open("dodge.json", "w"))
json.dump(soft.tolist(), open("weak.json", "w"))
"""


class Script(Brain):
    """Makes its tool calls in order, one a step, and keeps the results."""

    name = "script"

    def __init__(self, calls: list[tuple[str, dict]]) -> None:
        self.calls = list(calls)
        self.results: list[ToolResult] = []

    async def step(self, ctx: StepContext) -> StepOutcome:
        if not self.calls:
            return StepOutcome(done=True)
        self.results.append(await ctx.tools.call(*self.calls.pop(0)))
        return StepOutcome(progress=True)


async def test_the_most_common_answer_is_flagged_degenerate_and_ranks_nowhere(open_engine):
    attacker = Script(
        [
            ("write_file", {"path": "majority.py", "content": _MAJORITY}),
            ("run_command", {"command": "python majority.py"}),
            ("submit", {"path": "dodge.json", "method": "most common answer"}),
            # A genuine submission, with the command that makes it again: it ranks.
            (
                "submit",
                {"path": "weak.json", "method": "the weak labels", "command": "python majority.py"},
            ),
            ("leaderboard", {}),
        ]
    )
    copycat = Script(
        [
            ("write_file", {"path": "majority.py", "content": _MAJORITY}),
            ("run_command", {"command": "python majority.py"}),
            ("submit", {"path": "majority.json", "method": "all one class"}),
        ]
    )
    brains = {"a1": attacker, "a2": copycat}
    engine = await open_engine(
        lambda _b, d, _s: brains[d], agents={"count": 2, "directions": ["a1", "a2"]}
    )
    async with running(engine):
        await until(
            lambda: all(a.state == AgentState.FINISHED for a in engine.agents.values()),
            timeout=120,
            what="both agents to finish",
        )
        snapshot = await engine.view().snapshot()
    _write, made, dodge, weak, board = attacker.results
    assert made.ok, made.output
    assert "degenerate" in dodge.data["flags"] and dodge.data["public"] is None
    assert dodge.data["best"] is None  # the Ladder's best is not set by it either
    assert "degenerate" in dodge.output
    assert weak.data["public"] is not None and not weak.data["flags"]
    entries = board.data["entries"]
    assert [e["submission_id"] for e in entries] == [weak.data["submission_id"]]
    constant = copycat.results[-1]
    assert "degenerate" in constant.data["flags"] and constant.data["public"] is None
    ranked = [e.submission_id for e in snapshot.leaderboard if e.rank is not None]
    assert ranked == [weak.data["submission_id"]]

"""A run with one attacking agent among honest offline researchers: no fabricated result
reaches the registry or the leaderboard as genuine, and the report's top methods are honest."""

from __future__ import annotations

import json

import pytest

from engine.brains import make_brain
from engine.report import write_report
from tests.engine.harness import running, until
from tests.security import plans
from tests.security.plans import QUICK, PlanBrain
from tests.security.test_overwriter import start_overwriter
from tests.security.test_shadow_runner import SHADOW

# Three agents training on a shared, loaded machine: give the run room before it is a hang.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# The fixtures this module's tests use.
plan_engine, plan_toy = plans.plan_engine, plans.plan_toy

# A hand-made file that claims far more than the weak labels it is made of.
FORGE = (
    "python -c \"import json, numpy as np; w = np.load('/bundle/test.npz')['weak_soft'];"
    " w = w[:, 1] if w.ndim == 2 else w; json.dump([float(p > 0.5) * 0.98 + 0.01 for p in w],"
    " open('forged.json', 'w'))\""
)


async def _attacker(brain, ctx) -> None:
    await brain.call("init", "write_file", {"path": "w2s/__init__.py", "content": ""})
    await brain.call("main", "write_file", {"path": "w2s/__main__.py", "content": SHADOW})
    await start_overwriter(brain)
    exp = await brain.call("exp", "run_experiment", {"config": QUICK})
    await brain.sh("settle", "sleep 0.5")
    await brain.call("copy", "submit", {"path": exp.data["predictions"], "method": "PGR 1.0"})
    await brain.sh("forge", FORGE)
    await brain.call("forged", "submit", {"path": "forged.json", "method": "PGR 0.95 secret"})


async def test_one_attacker_among_honest_agents_gains_nothing(plan_engine):
    attacker = PlanBrain(_attacker)

    def brains(name: str, direction: str, seed: int):
        if direction == "attack":
            return attacker
        return make_brain("offline", direction=direction, seed=seed)

    engine = await plan_engine(
        brains,
        agents={"count": 3, "directions": ["attack", "confidence", "bootstrapping"]},
        budget={"experiments_per_agent": 2},
        reproduction={"seeds": 2},
    )
    async with running(engine):
        await until(attacker.finished.is_set, 300, "the attack")
        honest = ("a2", "a3")
        await until(
            lambda: all(engine.projection.agents[a].counters.submissions >= 1 for a in honest),
            600,
            "a submission of each honest agent",
        )
        engine.finish("the honest agents have submitted")
        # Nothing fabricated is in the registry, whoever ran it.
        for record in await engine.registry.list():
            assert "fabricated" not in record.diagnostics
            if record.status != "finished":
                continue
            preds = json.loads(await engine.registry.predictions(record.id))["predictions"]
            assert preds != [1.0] * len(preds)
        # The forged file is unverified; the experiment's copy is genuine unless the job got
        # to it first (where background jobs outlive a command), and then unverified too.
        r = attacker.results
        assert "unverified" in r["forged"].data["flags"]
        copy = r["copy"].data
        assert "unverified" in copy["flags"] or copy["experiment"] == r["exp"].data["digest"]
    files = await write_report(engine.run_dir, top=2)
    assert files.reproduced, "the report reproduced the top submissions"
    top = [r for r in files.reproduced if r.ranked]
    # Ranked: honest work only (the attacker's one genuine experiment, run by the engine,
    # would be honest work too; its fabrications never are).
    assert top and all(r.submission.agent_id in honest or r.recipe["kind"] == "config" for r in top)
    assert any(r.submission.agent_id in honest for r in top)
    final = files.markdown.read_text().split("## Final ranking")[1].split("## Leaderboard")[0]
    assert "unverified (nothing reproduces it) | a1 |" in final
    forged = attacker.results["forged"].data["submission_id"]
    assert forged not in {r.submission.id for r in top}

"""A planted /workspace/w2s/__main__.py never stands in for the engine's runner."""

from __future__ import annotations

import json

from tests.security import plans
from tests.security.plans import QUICK

# The fixtures this module's tests use.
attack, plan_engine, plan_toy = plans.attack, plans.plan_engine, plans.plan_toy

# The fake runner writes perfect-looking diagnostics and made-up predictions.
SHADOW = """
import json, sys
import numpy as np
args = sys.argv
out = args[args.index("--out") + 1]
n = len(np.load("/bundle/test.npz")["weak_soft"])  # one well-formed prediction per test row
json.dump({"predictions": [1.0] * n, "diagnostics": {"fabricated": True}}, open(out, "w"))
print("shadow runner ran")
"""


async def _shadow(brain, ctx) -> None:
    await brain.call("init", "write_file", {"path": "w2s/__init__.py", "content": ""})
    await brain.call("main", "write_file", {"path": "w2s/__main__.py", "content": SHADOW})
    # The plant is real: in the agent's own sandbox `python -m w2s` runs it.
    await brain.sh("proof", "python -m w2s run --bundle /bundle --config x --out fake.json")
    await brain.call("exp", "run_experiment", {"config": QUICK})


async def _honest(brain, ctx) -> None:
    await brain.call("exp", "run_experiment", {"config": QUICK})


async def test_a_shadow_runner_puts_nothing_in_the_registry(attack):
    engine, brains = await attack(_shadow, _honest)
    attacker = brains["a1"].results
    assert "shadow runner ran" in attacker["proof"].output
    exp = attacker["exp"]
    assert exp.ok, exp.output
    assert "fabricated" not in exp.data["diagnostics"]
    assert "agreement_with_weak_labels" in exp.data["diagnostics"]
    records = await engine.registry.list()
    assert records and all("fabricated" not in r.diagnostics for r in records)
    for r in records:
        preds = json.loads(await engine.registry.predictions(r.id))["predictions"]
        assert preds != [1.0] * len(preds)
    # The honest agent asking for the same config is served the genuine record.
    honest = brains["a2"].results["exp"]
    assert honest.ok and "fabricated" not in honest.data["diagnostics"]

"""A background job rewriting experiments/*.preds.json cannot change a recorded result."""

from __future__ import annotations

import asyncio
import json

from tests.security import plans
from tests.security.plans import QUICK
from w2s.tasks.toy_v2 import CONFIG

# The fixtures this module's tests use.
attack, plan_engine, plan_toy = plans.attack, plans.plan_engine, plans.plan_toy

FAKE = json.dumps([1.0] * CONFIG["test_rows"])  # well formed for the toy task of plan_toy
# Each copy is replaced whole (cp then mv), so that the submit reads the fake file, never one
# caught between cp's truncation and its write (which the scorer refuses as malformed).
REWRITE = (
    'for f in experiments/*.preds.json; do [ -f "$f" ] && cp fake.json "$f.new"'
    ' && mv "$f.new" "$f"; done'
)
# Rewrites every predictions copy, over and over, for as long as the sandbox lives (where
# background jobs outlive their command).
OVERWRITER = (
    f"mkdir -p experiments; nohup sh -c 'while true; do {REWRITE}; sleep 0.05; done'"
    " >/dev/null 2>&1 &"
)
# The same as a command beside the experiment, ending once it has rewritten the copy.
BESIDE = (
    "mkdir -p experiments; for i in $(seq 2400); do"
    f" if ls experiments/*.preds.json >/dev/null 2>&1; then sleep 0.2; {REWRITE};"
    " echo rewrote; break; fi; sleep 0.05; done"
)


async def start_overwriter(brain) -> None:
    await brain.call("fake", "write_file", {"path": "fake.json", "content": FAKE})
    job = await brain.sh("job", OVERWRITER)
    assert job.ok, job.output


async def _overwrite(brain, ctx) -> None:
    await start_overwriter(brain)
    exp, _ = await asyncio.gather(
        brain.call("exp", "run_experiment", {"config": QUICK}), brain.sh("beside", BESIDE)
    )
    await brain.call("submit", "submit", {"path": exp.data["predictions"]})


async def test_an_overwritten_copy_is_not_the_recorded_result(attack):
    engine, brains = await attack(_overwrite)
    results = brains["a1"].results
    assert results["exp"].ok, results["exp"].output
    record = await engine.registry.lookup(results["exp"].data["digest"], wait=False)
    preds = json.loads(await engine.registry.predictions(record.id))["predictions"]
    assert preds != [1.0] * len(preds) and "agreement_with_weak_labels" in record.diagnostics
    # The job got to the copy: what the agent submits is not linked to the experiment, so
    # it counts as a hand-made file.
    assert "rewrote" in results["beside"].output
    sub = results["submit"]
    assert sub.ok, sub.output
    assert sub.data["experiment"] is None and "unverified" in sub.data["flags"]

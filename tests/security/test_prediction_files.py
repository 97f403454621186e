"""Predictions files that are not plain, bounded files get a clear refusal, never a hang."""

from __future__ import annotations

from tests.security import plans
from tests.security.plans import QUICK

# The fixtures this module's tests use.
attack, plan_engine, plan_toy = plans.attack, plans.plan_engine, plans.plan_toy


async def _odd_files(brain, ctx) -> None:
    look = await brain.call("look", "experiment_lookup", {"config": QUICK})
    copy = f"experiments/{look.data['digest'][:12]}.preds.json"
    # A FIFO where the engine puts the agent's copy, one to submit, and symlinks out.
    await brain.sh("fifo", f"mkdir -p experiments && mkfifo {copy} fifo.json")
    await brain.call("exp", "run_experiment", {"config": QUICK})
    await brain.call("submit_fifo", "submit", {"path": "fifo.json"})
    await brain.sh("links", "ln -s /etc/passwd passwd.json; ln -s /proc/self/environ env.json")
    await brain.call("submit_passwd", "submit", {"path": "passwd.json"})
    await brain.call("submit_env", "submit", {"path": "env.json"})
    await brain.sh(
        "big", "python -c \"import json; json.dump([0.5] * 400000, open('big.json', 'w'))\""
    )
    await brain.call("submit_big", "submit", {"path": "big.json"})


async def test_fifos_symlinks_and_oversized_files_are_refused(attack):
    engine, brains = await attack(_odd_files)
    r = brains["a1"].results
    exp = r["exp"]
    assert exp.ok and "no copy in your workspace" in exp.output, exp.output
    assert await engine.registry.lookup(exp.data["digest"], wait=False) is not None
    assert not r["submit_fifo"].ok and "not a regular file" in r["submit_fifo"].error
    assert not r["submit_passwd"].ok and not r["submit_env"].ok
    assert not r["submit_big"].ok and "over the read cap" in r["submit_big"].error
    rows = await engine.store.fetchone("SELECT COUNT(*) FROM submissions")
    assert rows[0] == 0

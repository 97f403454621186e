"""Bad input to reproduction: each gets a clear message, and nothing recorded is lost."""

from __future__ import annotations

from tests.security import plans
from tests.security.plans import verdict

# The fixtures this module's tests use.
attack, plan_engine, plan_toy = plans.attack, plans.plan_engine, plans.plan_toy

# The weak labels, with a block of 100 rows flipped (so that each variant is a submission
# of its own, not a near-copy), and diagnostics over their cap while a file "bloat" exists.
WEAK = """
import json, os, sys
import numpy as np
weak = np.load("/bundle/test.npz")["weak_soft"]
weak = weak[:, 1] if weak.ndim == 2 else weak
block = int(sys.argv[1])
weak[block * 100 : block * 100 + 100] = 1 - weak[block * 100 : block * 100 + 100]
out = {"predictions": [round(float(p), 4) for p in weak]}
if os.path.exists("bloat"):
    out["diagnostics"] = {"padding": "x" * 100_000}
json.dump(out, open("preds.json", "w"))
"""


async def _bad_inputs(brain, ctx) -> None:
    await brain.call("write", "write_file", {"path": "weak.py", "content": WEAK})
    # The seed is ignored: the same file comes back for every seed.
    await brain.sh("make0", "python weak.py 0")
    await brain.call("ignored", "submit", {"path": "preds.json", "command": "python weak.py 0"})
    # A command that never ends.
    await brain.sh("make1", "python weak.py 1")
    await brain.call("hangs", "submit", {"path": "preds.json", "command": "sleep 1000"})
    # Diagnostics over their cap.
    await brain.sh("make2", "python weak.py 2 && touch bloat")
    await brain.call("bloated", "submit", {"path": "preds.json", "command": "python weak.py 2"})
    # A workspace over the snapshot cap.
    await brain.sh("fill", "python weak.py 3 && head -c 300000 /dev/urandom > data.bin")
    await brain.call("too_big", "submit", {"path": "preds.json", "command": "python weak.py 3"})


async def test_ignored_seed_hang_bloat_and_big_snapshot_each_say_what_is_wrong(attack):
    engine, brains = await attack(
        _bad_inputs, reproduction={"seeds": 3, "timeout": 20, "snapshot_mb": 0.25}
    )
    r = brains["a1"].results
    too_big = r["too_big"]
    assert not too_big.ok and "over the snapshot cap" in too_big.error, too_big.error
    assert "nothing was recorded" in too_big.error
    ids = [r[k].data["submission_id"] for k in ("ignored", "hangs", "bloated")]
    count = await engine.store.fetchone("SELECT COUNT(*) FROM submissions")
    assert count[0] == 3

    ignored, entry = await verdict(engine, ids[0])
    assert ignored.status == "reproduced", ignored.message
    assert "seed_ignored" in entry.flags and "ignore AAR_SEED" in ignored.message

    hangs, _ = await verdict(engine, ids[1])
    assert hangs.status == "irreproducible"
    assert "ran past its 20 s limit" in hangs.message

    bloated, _ = await verdict(engine, ids[2])
    assert bloated.status == "irreproducible"
    assert "over the cap of 65536 bytes" in bloated.message
    stored = await engine.store.fetchone("SELECT MAX(LENGTH(verdict)) FROM reproductions")
    assert stored[0] < 4000

    # Every submission and the earlier verdicts are still there.
    count = await engine.store.fetchone("SELECT COUNT(*) FROM reproductions")
    assert count[0] == 3
    # (The Ladder releases no new score for the later two, so only the store lists them.)
    kept = await engine.store.fetchall("SELECT id FROM submissions")
    assert {row[0] for row in kept} == set(ids)

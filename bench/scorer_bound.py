"""What the scorer can tell about the public labels, and what the block-flip attack reads.

    python bench/scorer_bound.py [--tasks 5] [--task toy-v1]

Prints the Ladder's bound for the default settings on the task (step, releases a day, bits a
release, bits a day, releases one agent can ever get), then the block-flip attack (60
submissions from two agent ids, blocks of 40 rows plus one target row) on `--tasks`
instances prepared from different secrets: the share of its target verdicts (public label 0,
public label 1, private) that are right, and the share of public targets whose label it
read, against the scorer as it is (the Ladder) and against the same submissions answered
as before the Ladder (PGR from the unrounded accuracy, exact baselines), in the same run.
The task is toy-v1 unless `--task` says otherwise: its public half is 2000 rows (toy-v2's is
8000), few enough that a 3-decimal score with no Ladder pins single rows, the attack's best case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.config import ScoringConfig  # noqa: E402
from engine.eventlog import EventLog  # noqa: E402
from engine.ladder import Ladder  # noqa: E402
from engine.scoring import Scorer  # noqa: E402
from engine.store import Store  # noqa: E402
from tests.security.blockflip import (  # noqa: E402
    decode,
    design,
    labels_read,
    share_right,
    unrounded_answer,
)


def _line(name: str, value: str) -> None:
    print(f"  {name:52} {value:>14}")


async def _attack(prepared, where: Path) -> tuple[float, float, float, float, int]:
    """(verdicts right, labels read) with the Ladder, then without; releases it got."""
    from w2s.hidden import load_hidden

    hidden = load_hidden(prepared.hidden_dir)
    attack = design(len(hidden.test_y), submissions=60, block=40, seed=3)
    store = await Store.open(where / "store.sqlite")
    events = EventLog(store)
    await events.start()
    try:
        scorer = Scorer(store, events, prepared.hidden_dir, ScoringConfig())
        told = {}
        for i, probe in enumerate(attack.probes):
            preds = json.dumps(attack.predictions(probe)).encode()
            out = await scorer.submit(("a1", "a2")[i % 2], preds, method="vanilla")
            told[probe.name] = {
                "public": out.public.model_dump() if out.public else None,
                "best": out.best.model_dump() if out.best else None,
            }
    finally:
        await events.close()
        await store.close()
    bundle = json.loads((prepared.bundle_dir / "baselines.json").read_text())
    ladder = decode(attack, told, bundle["weak_accuracy_public"], bundle["ceiling_accuracy_public"])
    before = {
        p.name: unrounded_answer(prepared.hidden_dir, attack.predictions(p)) for p in attack.probes
    }
    b = hidden.baselines
    exact = decode(attack, before, b["weak"]["public"], b["ceiling"]["public"])
    h = prepared.hidden_dir
    releases = sum(1 for t in told.values() if t["public"])
    return (
        share_right(ladder, h),
        labels_read(ladder, h),
        share_right(exact, h),
        labels_read(exact, h),
        releases,
    )


def _mean_sd(xs: list[float]) -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.1%} ± {sd:.1%}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5, help="instances (secrets) to attack")
    parser.add_argument("--task", default="toy-v1", help="the task the instances are of")
    args = parser.parse_args()
    from w2s.hidden import load_hidden
    from w2s.prepare import prepare

    config = ScoringConfig()
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for secret in range(args.tasks):
            prepared = prepare(
                args.task,
                Path(tmp) / f"task{secret}",
                seed=1000 + secret,
                cache_dir=Path(tmp) / "c",
            )
            (Path(tmp) / f"run{secret}").mkdir()
            results.append(await _attack(prepared, Path(tmp) / f"run{secret}"))
        n_public = int(load_hidden(prepared.hidden_dir).test_public.sum())
    ladder = Ladder.for_public_rows(n_public, config.step)
    cap = config.releases_per_day
    print(f"the bound, default settings, {args.task} ({n_public} public rows)")
    _line("step (1/sqrt(public rows), rounded up to 0.001)", f"{ladder.step:g}")
    _line("releases a day, run-wide (scoring.releases_per_day)", f"{cap}")
    _line("bits a release, log2(1 + 1/step)", f"{ladder.bits_per_release:.2f}")
    _line("bits a day, all agents together", f"{cap * ladder.bits_per_release:.0f}")
    _line("releases one agent can ever get (1/step + 1)", f"{ladder.releases_per_agent}")
    _line("public labels (1 bit each)", f"{n_public}")
    print(f"block flips: 60 submissions from 2 ids, blocks of 40 rows, {args.tasks} instances")
    _line(
        "releases the attack got, with the Ladder", f"{statistics.mean(r[4] for r in results):.1f}"
    )
    _line("verdicts right, with the Ladder (chance ~50%)", _mean_sd([r[0] for r in results]))
    _line("verdicts right, unrounded score (before)", _mean_sd([r[2] for r in results]))
    _line("public labels read, with the Ladder", _mean_sd([r[1] for r in results]))
    _line("public labels read, unrounded score (before)", _mean_sd([r[3] for r in results]))


if __name__ == "__main__":
    asyncio.run(main())

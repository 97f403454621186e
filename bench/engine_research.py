"""Research: offline agents on a task against the default baselines and random search.

    python bench/engine_research.py [--agents 4] [--minutes 10] [--repeats 3] [--task toy]

Each repeat is a fresh run (a fresh data instance and run seed). Per repeat: the swarm's
best public PGR and the private PGR of that same submission; the default `xent` and
`logconf` configs; and random search over the same space with as many experiments as the
swarm ran, picking its best by public PGR and reporting that pick's private PGR. Figures
are mean ± standard error over the repeats. `--minutes` is per repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/ leads sys.path when a script runs from it, and bench/sandbox.py would shadow the
# sandbox package that the engine imports: put the repository first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.brains.offline.space import Constraints, random_config
from engine.config import load
from engine.runtime import Engine


def grade_config(config: dict[str, Any], bundle: Path, hidden: Path, work: Path) -> tuple:
    """(public PGR, private PGR) of a config, trained in-process with the w2s runner."""
    from w2s.grader import grade
    from w2s.runner import run

    cfg, out = work / "cfg.json", work / "preds.json"
    cfg.write_text(json.dumps(config))
    run(bundle, cfg, out)
    g = grade(hidden, out.read_bytes())
    return g.public.pgr, g.private.pgr


def _pgr(x: float | None) -> float:
    return float("nan") if x is None else x


async def one_repeat(args: argparse.Namespace, seed: int, tmp: Path) -> dict[str, Any]:
    config = load(
        None,
        {
            "task": args.task,
            "seed": seed,
            "run_dir": str(tmp / f"run{seed}"),
            "agents": {"count": args.agents, "brain": "offline"},
        },
    )
    engine = await Engine.open(config)
    started = time.perf_counter()
    await engine.run(args.minutes)
    wall = time.perf_counter() - started
    board = [e for e in engine.projection.leaderboard() if e.rank is not None]
    private = await engine.scorer.private_scores()
    experiments = len(
        {e.digest for e in await engine.registry.list(100_000) if e.status == "finished"}
    )
    bundle, hidden = engine.task.bundle_dir, engine.task.hidden_dir
    await engine.close()
    best = board[0] if board else None
    work = tmp / f"work{seed}"
    work.mkdir()
    xent = await asyncio.to_thread(grade_config, {"loss": "xent"}, bundle, hidden, work)
    logconf = await asyncio.to_thread(grade_config, {"loss": "logconf"}, bundle, hidden, work)
    rng = random.Random(seed)
    trials = []
    for _ in range(experiments):
        cfg = random_config({}, rng, Constraints())
        trials.append(await asyncio.to_thread(grade_config, cfg, bundle, hidden, work))
    pick = max(trials, key=lambda t: _pgr(t[0])) if trials else (None, None)
    return {
        "seed": seed,
        "wall_s": round(wall, 1),
        "experiments": experiments,
        "submissions": len(private),
        "swarm_public": best.public.pgr if best else None,
        "swarm_private": private[best.submission_id].pgr if best else None,
        "xent_public": xent[0],
        "xent_private": xent[1],
        "logconf_public": logconf[0],
        "logconf_private": logconf[1],
        "random_public": pick[0],
        "random_private": pick[1],
    }


def mean_se(values: list[float | None]) -> str:
    xs = [v for v in values if v is not None]
    if not xs:
        return "n/a"
    if len(xs) == 1:
        return f"{xs[0]:.3f}"
    return f"{statistics.mean(xs):.3f} ± {statistics.stdev(xs) / len(xs) ** 0.5:.3f}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task", default="toy")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.repeats):
            row = await one_repeat(args, seed, Path(tmp))
            print(json.dumps(row), flush=True)
            rows.append(row)
    print(
        f"\n{args.agents} offline agents on {args.task}, {args.minutes:g} min per run, "
        f"{args.repeats} runs; PGR mean ± s.e. (public / private)"
    )
    exps = [r["experiments"] for r in rows]
    print(f"  experiments per run: {mean_se(exps)}")
    for name, label in (
        ("swarm", "swarm's best (by public)"),
        ("random", "random search, same count"),
        ("logconf", "default logconf"),
        ("xent", "default xent"),
    ):
        pub = mean_se([r[f"{name}_public"] for r in rows])
        priv = mean_se([r[f"{name}_private"] for r in rows])
        print(f"  {label:<27} {pub:>15} / {priv}")


if __name__ == "__main__":
    asyncio.run(main())

"""Research: the offline swarm against random search and Optuna's TPE, on the same instance.

    python bench/engine_research.py [--agents 4] [--repeats 5] [--experiments 100]
                                    [--at 25,50,100] [--task toy] [--minutes 20]
                                    [--instances SEED]

Each repeat prepares one fresh task instance (a secret data seed) and runs on it: the swarm
(offline agents in the engine, stopped after `--experiments` experiments, screens and
reproductions included, each counted by what it costs: a screen on a share of the data
counts that share); random search over the same space; TPE (Optuna's default
sampler, sequential) over the same space; and TPE told exact public scores, as an upper
reference. Every searcher picks its best by the feedback the scorer releases (the Ladder,
`Released`) and is judged by the private PGR of that pick. Printed, mean ± s.e. over the repeats:

- private PGR at the same number of experiments (each `--at`), ratios to TPE, and the swarm's
  lead over TPE and over random search within each repeat (paired: they share its instance);
- private PGR at the same CPU-seconds of training (the runner's `cpu_seconds`, for all four),
  at the CPU-seconds TPE spent on each `--at` count of experiments;
- experiments to reach the private PGR that TPE reaches at `--experiments`. Random search
  draws three times as many configs (`RANDOM_FACTOR`) so that its need is measured, not
  cut off, up to the count the swarm must beat it by; its need is also given as expected
  over many orderings of its draws, since one ordering is one lucky or unlucky draw. The
  tables above read every searcher's first `--experiments` experiments only.

With `--instances SEED`, repeat r's instance is built from data seed SEED + r instead of a
fresh secret, so two invocations (say, two versions of the researcher) meet the same
instances and their figures can be compared repeat by repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# bench/ leads sys.path when a script runs from it, and bench/sandbox.py would shadow the
# sandbox package that the engine imports: put the repository first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import optuna

from engine.brains.offline.beliefs import _suggest, as_told
from engine.brains.offline.space import DIMS, Constraints, apply_constraints, random_config
from engine.config import load
from engine.ladder import Ladder
from engine.run.task import prepare_task
from engine.runtime import Engine

optuna.logging.set_verbosity(optuna.logging.WARNING)


class Released:
    """The feedback one searcher gets for its graded submissions: what the scorer releases.

    The scorer's Ladder (`engine.ladder`) tells an agent a new public accuracy only when it
    beats the agent's best released one by more than a step, rounded to the grid; otherwise
    nothing new. As the offline researcher does, a score with no release counts at the best
    released so far. Every searcher but the exact reference goes through this one class."""

    def __init__(self, hidden: Path) -> None:
        from engine.scoring import _public_baselines

        self.hidden = hidden
        self.baselines = _public_baselines(hidden)
        self.best: float | None = None  # the best released public accuracy
        self.best_pgr: float | None = None

    def __call__(self, accuracy: float, n: int) -> tuple[float | None, bool]:
        """(the PGR the searcher is told, whether it was a release), for a public accuracy
        on n rows."""
        ladder = Ladder.for_public_rows(n)
        release = ladder.release(self.best, accuracy)
        if release.accuracy is None:
            return self.best_pgr, False
        self.best, self.best_pgr = release.accuracy, ladder.pgr(release.accuracy, *self.baselines)
        return self.best_pgr, True


@dataclass
class History:
    """One searcher's history: per experiment, its training CPU-seconds and its pick's private
    PGR."""

    seconds: list[float] = field(default_factory=list)
    # What each experiment cost, in full-data experiments: a screen on a share of the
    # data counts that share, every full run and reproduction one.
    cost: list[float] = field(default_factory=list)
    private_of_pick: list[float | None] = field(default_factory=list)
    # What the experiments were spent on (the swarm's: screens, full runs, reproductions).
    spent_on: dict[str, int] = field(default_factory=dict)
    # A plain search's draws, in order: (public accuracy, public rows, private PGR), so
    # that other orderings of the same draws can be replayed through the Ladder.
    draws: list[tuple[float, int, float | None]] = field(default_factory=list)
    # Random search's expected experiments to the target, over orderings of its draws.
    expected_need: tuple[float, int] | None = None

    def first(self, n: int) -> History:
        """The history of the first n experiments."""
        return History(
            self.seconds[:n], self.cost[:n], self.private_of_pick[:n], self.spent_on, self.draws[:n]
        )

    def at_count(self, k: float) -> float | None:
        spent, pick = 0.0, None
        for c, p in zip(self.cost, self.private_of_pick, strict=True):
            spent += c
            if spent > k + 1e-9:
                break
            pick = p
        return pick

    def at_seconds(self, budget: float) -> float | None:
        spent, pick = 0.0, None
        for s, p in zip(self.seconds, self.private_of_pick, strict=True):
            spent += s
            if spent > budget:
                break
            pick = p
        return pick

    def to_reach(self, target: float) -> float | None:
        spent = 0.0
        for c, p in zip(self.cost, self.private_of_pick, strict=True):
            spent += c
            if p is not None and p >= target - 1e-9:
                return spent
        return None

    def __bool__(self) -> bool:
        return bool(self.private_of_pick)


def grade_config(config: dict[str, Any], bundle: Path, hidden: Path, work: Path) -> tuple:
    """(the public Score object, exact public PGR, private PGR, training CPU-seconds)."""
    from w2s.grader import grade
    from w2s.runner import run

    cfg, out = work / "cfg.json", work / "preds.json"
    cfg.write_text(json.dumps(config))
    result = run(bundle, cfg, out)
    g = grade(hidden, out.read_bytes())
    return g.public, g.public.pgr, g.private.pgr, result["diagnostics"]["cpu_seconds"]


def search(
    propose, n: int, bundle: Path, hidden: Path, work: Path, *, exact: bool = False
) -> History:
    """Run `propose()` n times; the `tell(value)` it returns feeds back what the searcher
    sees: the Ladder's release (or its best, when nothing new), or the exact public PGR."""
    path = History()
    best: tuple[float, float | None] = (float("-inf"), None)
    feedback = Released(hidden)
    for _ in range(n):
        config, tell = propose()
        public, exact_pgr, private, seconds = grade_config(config, bundle, hidden, work)
        if exact:
            seen, new = exact_pgr, exact_pgr is not None and exact_pgr > best[0]
            tell(seen)
        else:
            seen, new = feedback(float(public.accuracy), int(public.n))
            # Told as the offline researcher tells its model: an unreleased score a little
            # below the best it stands in for.
            tell(as_told(seen, new))
        # The pick is the submission with the best score the searcher was told.
        if new and seen is not None:
            best = (seen, private)
        path.seconds.append(seconds)
        path.cost.append(1.0)
        path.private_of_pick.append(best[1])
        path.draws.append((float(public.accuracy), int(public.n), private))
    return path


def expected_to_reach(
    draws: list[tuple[float, int, float | None]], hidden: Path, target: float, orderings: int
) -> tuple[float, int]:
    """Random search's experiments to reach `target`, over `orderings` shuffles of its
    draws (each draw is independent, so every ordering is as likely as the one run): (the
    mean, counting an ordering that never reaches it at the number of draws; how many
    orderings reached it)."""
    rng = random.Random(0)
    total, reached = 0.0, 0
    for _ in range(orderings):
        order = rng.sample(draws, len(draws))
        feedback, pick, need = Released(hidden), None, float(len(draws))
        for i, (accuracy, n, private) in enumerate(order, 1):
            if feedback(accuracy, n)[1]:
                pick = private
            if pick is not None and pick >= target - 1e-9:
                need, reached = float(i), reached + 1
                break
        total += need
    return total / orderings, reached


def random_search(seed: int):
    rng = random.Random(seed)
    return lambda: (random_config({}, rng, Constraints()), lambda _v: None)


def tpe_search(seed: int):
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))

    def propose():
        trial = study.ask()
        config: dict[str, Any] = {}
        for dim in DIMS.values():
            if dim.applies(config):
                config[dim.name] = _suggest(trial, dim, Constraints())
        config = apply_constraints(config, Constraints())

        def tell(value: float | None) -> None:
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)

        return config, tell

    return propose


async def swarm(args: argparse.Namespace, seed: int, tmp: Path) -> tuple[History, Path, Path]:
    # Counted by what they cost (a screen its share of the data), so each agent may run more.
    per_agent = 4 * -(-args.experiments // args.agents)
    config = load(
        None,
        {
            "task": args.task,
            "seed": seed,
            "run_dir": str(tmp / f"run{seed}"),
            "agents": {"count": args.agents, "brain": "offline"},
            "budget": {"experiments_per_agent": per_agent},
        },
    )
    instance = None if args.instances is None else args.instances + seed
    engine = await Engine.open(config, prepare=functools.partial(prepare_task, secret=instance))
    run = asyncio.create_task(engine.run(args.minutes))
    deadline = time.monotonic() + args.minutes * 60
    while not run.done() and time.monotonic() < deadline:
        await asyncio.sleep(2)
        done = [e for e in await engine.registry.list(5000) if e.status == "finished"]
        if sum(_cost(e.config) for e in done) >= args.experiments:
            break
    engine.finish("the benchmark has its experiments")
    await run
    experiments = []
    spent = 0.0
    for e in sorted(
        (e for e in await engine.registry.list(5000) if e.status == "finished"),
        key=lambda e: e.id,
    ):
        spent += _cost(e.config)
        if spent > args.experiments + 1e-9:
            break
        experiments.append(e)
    rows = await engine.store.fetchall(
        "SELECT experiment_digest, public, private, flags FROM submissions"
        " WHERE scored = 1 AND voided = 0 ORDER BY id"
    )
    bundle, hidden = engine.task.bundle_dir, engine.task.hidden_dir
    await engine.close()
    order = {e.digest: i for i, e in enumerate(experiments)}
    # Per experiment, the best released public PGR among submissions of it or of earlier ones.
    best_by_index: dict[int, tuple[float, float]] = {}
    for digest, public, private, flags in rows:
        i = order.get(digest)
        # A submission the Ladder released nothing for cannot be the swarm's pick.
        if i is None or public is None or "degenerate" in (flags or ""):
            continue
        pub, priv = json.loads(public)["pgr"], json.loads(private)["pgr"]
        if pub is None:
            continue
        if i not in best_by_index or pub > best_by_index[i][0]:
            best_by_index[i] = (pub, priv)
    path = History()
    best: tuple[float, float | None] = (float("-inf"), None)
    for e in experiments:
        # A reproduction pins data_seed to its seed; a screen trains on a share of the data.
        if e.config.get("data_seed") is not None:
            kind = "reproduction"
        else:
            kind = "screen" if float(e.config.get("data_fraction", 1.0)) < 1.0 else "full"
        path.spent_on[kind] = path.spent_on.get(kind, 0) + 1
    for i, e in enumerate(experiments):
        if i in best_by_index and best_by_index[i][0] > best[0]:
            best = best_by_index[i]
        path.seconds.append(float(e.diagnostics.get("cpu_seconds", 0.0)))
        path.cost.append(_cost(e.config))
        path.private_of_pick.append(best[1])
    return path, bundle, hidden


# Random search draws this many times the experiments, for its experiments-to-target.
RANDOM_FACTOR = 3
ORDERINGS = 500


def _cost(config: dict[str, Any]) -> float:
    """An experiment's cost in full-data experiments: the share of the data it trains on."""
    return float(config.get("data_fraction", 1.0))


async def one_repeat(args: argparse.Namespace, seed: int, tmp: Path) -> dict[str, History]:
    swarm_path, bundle, hidden = await swarm(args, seed, tmp)
    work = tmp / f"work{seed}"
    work.mkdir()
    n = args.experiments
    drawn = await asyncio.to_thread(
        search, random_search(seed), RANDOM_FACTOR * n, bundle, hidden, work
    )
    run = {
        "swarm": swarm_path,
        "random": drawn.first(n),
        "random_long": drawn,
        "tpe": await asyncio.to_thread(search, tpe_search(seed), n, bundle, hidden, work),
        "tpe_exact": await asyncio.to_thread(
            search, tpe_search(seed), n, bundle, hidden, work, exact=True
        ),
    }
    target = run["tpe"].at_count(n)
    if target is not None:
        drawn.expected_need = expected_to_reach(drawn.draws, hidden, target, ORDERINGS)
    return run


def mean_se(values: Sequence[float | None]) -> str:
    xs = [v for v in values if v is not None]
    if not xs:
        return "n/a"
    if len(xs) == 1:
        return f"{xs[0]:.3f}"
    return f"{statistics.mean(xs):.3f} ± {statistics.stdev(xs) / len(xs) ** 0.5:.3f}"


def _mean(values: list[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return statistics.mean(xs) if xs else None


NAMES = {
    "swarm": "swarm",
    "random": "random search",
    "tpe": "TPE (released scores)",
    "tpe_exact": "TPE (exact scores, reference)",
}


def table(runs: list[dict[str, History]], points: Sequence[float], value, head: str) -> None:
    print(f"\n{head}")
    print("  " + f"{'':31}" + "".join(f"{p:>18g}" for p in points))
    for key, name in NAMES.items():
        cells = [mean_se([value(r[key], p) for r in runs]) for p in points]
        print(f"  {name:31}" + "".join(f"{c:>18}" for c in cells))
    for key in ("swarm", "random"):
        ratios = []
        for p in points:
            a, b = (
                _mean([value(r[key], p) for r in runs]),
                _mean([value(r["tpe"], p) for r in runs]),
            )
            ratios.append("n/a" if a is None or not b else f"{a / b:.3f}")
        print(f"  {NAMES[key] + ' / TPE':31}" + "".join(f"{c:>18}" for c in ratios))
    # The searchers share each repeat's instance, so the difference within a repeat is the
    # comparison: most of the spread between repeats is how hard the instance is.
    for b, name in (("tpe", "TPE"), ("random", "random")):
        cells = [mean_se(paired(runs, "swarm", b, value, p)) for p in points]
        print(f"  {'swarm - ' + name + ', paired':31}" + "".join(f"{c:>18}" for c in cells))


def paired(runs: list[dict[str, History]], a: str, b: str, value, point: float) -> list[float]:
    """Per repeat, searcher a's value less searcher b's, where both have one."""
    out = []
    for r in runs:
        x, y = value(r[a], point), value(r[b], point)
        if x is not None and y is not None:
            out.append(x - y)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--experiments", type=int, default=100)
    parser.add_argument("--at", default="25,50,100", help="experiment counts to compare at")
    parser.add_argument("--task", default="toy")
    parser.add_argument("--minutes", type=float, default=20.0, help="cap on each swarm run")
    parser.add_argument(
        "--instances",
        type=int,
        default=None,
        metavar="SEED",
        help="build repeat r's instance from data seed SEED + r (default: a fresh secret)",
    )
    args = parser.parse_args()
    points = [int(p) for p in args.at.split(",") if int(p) <= args.experiments]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.repeats):
            started = time.perf_counter()
            run = await one_repeat(args, seed, Path(tmp))
            runs.append(run)
            line: dict[str, Any] = {
                k: [round(run[k].at_count(c) or 0, 3) for c in points] for k in NAMES
            }
            line["swarm_spent_on"] = run["swarm"].spent_on
            print(json.dumps({"repeat": seed, "s": round(time.perf_counter() - started)} | line))
    print(
        f"\n{args.agents} offline agents vs random search vs TPE on {args.task}, "
        f"{args.repeats} repeats; private PGR of each searcher's pick, mean ± s.e."
    )
    table(runs, points, lambda p, k: p.at_count(k), "At the same number of experiments:")
    # The budgets: what TPE's training took, in CPU-seconds, for each count compared above.
    budgets = [round(statistics.mean(sum(r["tpe"].seconds[:k]) for r in runs), 1) for k in points]
    table(
        runs,
        budgets,
        History.at_seconds,
        f"At the same CPU-seconds of training (TPE's for {', '.join(map(str, points))}"
        " experiments):",
    )
    experiments_to_target(args, runs)


def experiments_to_target(args: argparse.Namespace, runs: list[dict[str, History]]) -> None:
    n, long = args.experiments, RANDOM_FACTOR * args.experiments
    print(f"\nExperiments to reach TPE's private PGR at {n} (random search: of {long} draws):")
    targets = [r["tpe"].at_count(n) for r in runs]
    needed: dict[str, list[float | None]] = {}
    for key, name in NAMES.items():
        history = "random_long" if key == "random" else key
        counts = [
            None if t is None else r[history].to_reach(t)
            for r, t in zip(runs, targets, strict=True)
        ]
        reached = [c for c in counts if c is not None]
        print(f"  {name:31} {mean_se(reached):>14}  reached in {len(reached)}/{len(runs)} repeats")
        needed[key] = counts
    expected = [r["random_long"].expected_need for r in runs]
    known = [e for e in expected if e is not None]
    print(
        f"  {'random, over ' + str(ORDERINGS) + ' orderings':31} "
        f"{mean_se([e[0] for e in known]):>14}  (an ordering that never reaches it counts "
        f"{long}; {sum(e[1] for e in known)}/{ORDERINGS * len(known)} orderings reached it)"
    )

    # Per repeat, side by side: a target never reached within the experiments reads "> n".
    def count(c: float | None, cap: int) -> str:
        return f"> {cap}" if c is None else f"{c:g}"

    pairs = ", ".join(
        f"{count(s, n)} vs {count(r, long)} ({e[0]:.0f} expected)" if e else f"{count(s, n)} vs ?"
        for s, r, e in zip(needed["swarm"], needed["random"], expected, strict=True)
    )
    print(f"  {'per repeat, swarm vs random':31} {pairs}")
    # Counting a swarm that never reached it at n flatters the swarm, one random search
    # that never reached it at its draws flatters random search's rival: say which.
    swarm = [n if c is None else c for c in needed["swarm"]]
    rand = [e[0] for e in known]
    if rand and len(rand) == len(runs):
        ratio = statistics.mean(swarm) / statistics.mean(rand)
        bound = "" if all(c is not None for c in needed["swarm"]) else " (swarm censored: a floor)"
        print(f"  {'swarm / random (expected)':31} {ratio:>14.3f}{bound}")


if __name__ == "__main__":
    asyncio.run(main())

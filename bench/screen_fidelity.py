"""Which cheap screen predicts a full run: each fidelity's ranking of random configs against
their full runs, and what it costs, on fresh task instances.

    python bench/screen_fidelity.py [--task toy] [--count 3] [--configs 30] [--instances SEED]

Per instance (prepared as a run prepares it; with `--instances SEED`, instance i is built from
data seed SEED + i), `--configs` configs are drawn as random search draws them and each is
trained at every fidelity below and in full (the config itself, the baseline of the same
run). Printed per fidelity: the Spearman correlation of its private PGR with the full run's
over the configs, and its CPU-seconds of training against the full runs'. Where a fidelity
leaves a config as it is (one member of a config that has one), the full run stands for it:
such a pair ranks alike by construction, and costs the full run. The offline researcher
screens at `SCREEN` (`engine/brains/offline/beliefs.py`): a screen is worth its cost only
where it ranks configs as their full runs do, since successive halving promotes by that rank.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path

from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engine_research import grade_config
from engine.brains.offline.beliefs import SCREEN
from engine.brains.offline.space import Constraints, random_config
from w2s.methods.config import parse_method_config
from w2s.prepare import prepare

FIDELITIES: dict[str, dict[str, float | int]] = {
    "quarter of the data, one member": {"data_fraction": 0.25, "ensemble": 1},
    "half of the data, one member": {"data_fraction": 0.5, "ensemble": 1},
    "all the data, one member": {"data_fraction": 1.0, "ensemble": 1},
}


def one_instance(args: argparse.Namespace, tmp: Path, index: int) -> dict[str, dict[str, float]]:
    seed = None if args.instances is None else args.instances + index
    prepared = prepare(args.task, tmp / f"p{index}", seed=seed)
    bundle, hidden = prepared.bundle_dir, prepared.hidden_dir
    work = tmp / f"w{index}"
    work.mkdir()
    rng = random.Random(index)
    private: dict[str, list[float]] = {name: [] for name in [*FIDELITIES, "full"]}
    seconds: dict[str, float] = dict.fromkeys(private, 0.0)
    for _ in range(args.configs):
        config = random_config({}, rng, Constraints())
        _, _, full_pgr, full_cpu = grade_config(config, bundle, hidden, work)
        private["full"].append(float(full_pgr))
        seconds["full"] += float(full_cpu)
        full = parse_method_config(config).digest()
        for name, fidelity in FIDELITIES.items():
            screen = {**config, **fidelity}
            if parse_method_config(screen).digest() == full:
                # The fidelity leaves this config as it is (one member of a one-member
                # config): its full run is that screen, not trained a second time.
                pgr, cpu = full_pgr, full_cpu
            else:
                _, _, pgr, cpu = grade_config(screen, bundle, hidden, work)
            private[name].append(float(pgr))
            seconds[name] += float(cpu)
    return {
        name: {
            "spearman": float(spearmanr(private[name], private["full"])[0]),
            "cpu_share": seconds[name] / seconds["full"],
        }
        for name in FIDELITIES
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="toy")
    parser.add_argument("--count", type=int, default=3, help="task instances")
    parser.add_argument("--configs", type=int, default=30, help="random configs per instance")
    parser.add_argument("--instances", type=int, default=None, metavar="SEED")
    args = parser.parse_args()
    if args.count < 1 or args.configs < 3:
        parser.error("--count must be at least 1 and --configs at least 3")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.count):
            rows.append(one_instance(args, Path(tmp), i))
            print(
                json.dumps(
                    {"instance": i}
                    | {name: round(r["spearman"], 3) for name, r in rows[-1].items()}
                ),
                flush=True,
            )
    print(
        f"\nScreens on {args.task}, {args.count} instances x {args.configs} random configs;"
        " the full run is the baseline"
    )
    print(f"  {'fidelity':34}{'Spearman vs full':>22}{'range':>18}{'CPU-s / full':>14}")
    for name, fidelity in FIDELITIES.items():
        rho = [r[name]["spearman"] for r in rows]
        cpu = statistics.mean(r[name]["cpu_share"] for r in rows)
        spread = f"{min(rho):.2f} to {max(rho):.2f}"
        mark = "  <- SCREEN" if fidelity == SCREEN else ""
        print(f"  {name:34}{statistics.mean(rho):>22.3f}{spread:>18}{cpu:>14.2f}{mark}")


if __name__ == "__main__":
    main()

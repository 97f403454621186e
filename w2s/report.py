"""The baseline report: weak, ceiling, and transfer with each loss at its defaults, over seeds.

A transfer's headline PGR is the PGR of the mean accuracies, with a delta-method standard
error (`w2s.metrics.pgr_of_means`); the mean of per-seed PGRs is kept as `pgr_seed_mean`,
but a seed with a near-zero gap makes it swing wildly.

Seed i builds the data instance of data seed i and trains every model with seed i, so the
spread over seeds covers both the data and the training. These instances are public (their
seeds are small integers); graded work uses prepared tasks, whose data seed is secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from w2s.baselines import instance_key, seed_baseline
from w2s.cache import Cache
from w2s.losses import LOSSES
from w2s.methods.config import parse_method_config
from w2s.methods.transfer import transfer
from w2s.metrics import accuracy, mean_se, pgr, pgr_of_means
from w2s.tasks import get_task

PGR_METHOD = (
    "pgr: PGR of the mean accuracies over seeds, s.e. by the delta method; "
    "pgr_seed_mean: mean and s.e. of the per-seed PGRs, over the seeds whose ceiling is "
    "above weak (the others have no PGR)"
)


def steps_per_seed() -> int:
    """Progress units per seed: the baselines, then one transfer per loss."""
    return 1 + len(LOSSES)


def baseline_report(
    task_name: str,
    seeds: int = 3,
    *,
    data: str | None = None,
    cache: Cache | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Accuracy and PGR (mean and standard error over `seeds`) of weak, ceiling and transfers."""
    started = time.perf_counter()
    task = get_task(task_name)
    tick = progress or (lambda _label: None)
    weak_accs: list[float] = []
    ceiling_accs: list[float] = []
    per_loss: dict[str, dict[str, list[Any]]] = {
        loss: {"accuracy": [], "pgr": [], "seconds": []} for loss in LOSSES
    }
    for seed in range(seeds):
        instance = task.build(seed, data, cache_dir=cache.root if cache is not None else None)
        base = seed_baseline(task, instance, instance_key(task, data, seed), seed, cache)
        y = instance.test.y
        weak_acc, ceiling_acc = accuracy(base.weak_test, y), accuracy(base.ceiling_test, y)
        weak_accs.append(weak_acc)
        ceiling_accs.append(ceiling_acc)
        tick(f"seed {seed}: baselines")
        for loss in LOSSES:
            config = parse_method_config(
                {"loss": loss, "seed": seed}, defaults=task.method_defaults
            )
            result = transfer(
                task.strong,
                instance.train_unlabel.strong_x,
                base.weak_unlabel,
                instance.test.strong_x,
                config,
            )
            acc = accuracy(result.probs, y)
            per_loss[loss]["accuracy"].append(acc)
            per_loss[loss]["pgr"].append(pgr(acc, weak_acc, ceiling_acc))
            per_loss[loss]["seconds"].append(result.diagnostics["seconds"])
            tick(f"seed {seed}: transfer {loss}")

    def summary(values: list[Any]) -> dict[str, float | None]:
        mean, se = mean_se(values)
        return {"mean": mean, "se": se}

    def headline_pgr(accs: list[float]) -> dict[str, float | None]:
        value, se = pgr_of_means(accs, weak_accs, ceiling_accs)
        return {"mean": value, "se": se}

    return {
        "task": task.id,
        "seeds": seeds,
        "weak": {"accuracy": summary(weak_accs)},
        "ceiling": {"accuracy": summary(ceiling_accs)},
        "pgr_method": PGR_METHOD,
        "transfer": {
            loss: {
                "accuracy": summary(v["accuracy"]),
                "pgr": headline_pgr(v["accuracy"]),
                "pgr_seed_mean": summary(v["pgr"]),
                "seconds_per_transfer": summary(v["seconds"]),
            }
            for loss, v in per_loss.items()
        },
        "per_seed": {
            "weak": weak_accs,
            "ceiling": ceiling_accs,
            **{loss: v["pgr"] for loss, v in per_loss.items()},
        },
        "cache": {"hits": cache.hits, "misses": cache.misses} if cache else None,
        "seconds": round(time.perf_counter() - started, 3),
    }

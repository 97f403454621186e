"""What reproduction costs on the toy task: seconds per seed, against a plain experiment.

    python bench/reproduce.py [--seeds 5] [--epochs 1]

Measured in one run, on real local sandboxes: a plain experiment (the w2s runner in the
engine's process, the baseline), the runner in the agent's own sandbox (how experiments
ran before), the same experiment as `run_experiment` now runs it (a fresh sandbox of its
own, `python -I`), and a submission of that config reproduced over the seeds. Prints each,
and the ratios against the plain experiment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


OUT = "--out p.json"


def _line(name: str, value: str) -> None:
    print(f"  {name:58} {value:>12}")


async def _measure(tmp: Path, seeds: int, epochs: int) -> None:
    from engine.config import load
    from engine.run.task import PreparedTask
    from engine.runtime import Engine
    from w2s.prepare import prepare
    from w2s.runner import run

    prepared = prepare("toy", tmp / "task", seeds=1, cache_dir=tmp / "cache")
    task = PreparedTask(
        task_id=prepared.task_id,
        bundle_dir=Path(prepared.bundle_dir),
        hidden_dir=Path(prepared.hidden_dir),
        baselines={},
        method_defaults={},
    )
    config = {"loss": "logconf", "epochs": epochs}
    cfg = tmp / "cfg.json"
    cfg.write_text(json.dumps(config))
    run(task.bundle_dir, cfg, tmp / "warm.json")  # imports and caches, outside the timing
    plain = []
    for _ in range(3):
        started = time.perf_counter()
        run(task.bundle_dir, cfg, tmp / "plain.json")
        plain.append(time.perf_counter() - started)
    base = statistics.median(plain)

    overrides = {"run_dir": str(tmp / "run"), "reproduction": {"seeds": seeds}}
    engine = await Engine.open(
        load(None, overrides), brain_factory=lambda *_: None, prepare=lambda *_: task
    )
    try:
        box = await engine.swarm.make_sandbox("a1")
        await box.write_file("cfg.json", json.dumps(config).encode())
        old = []
        for _ in range(3):
            started = time.perf_counter()
            done = await box.exec(
                "python -m w2s run --bundle /bundle --config cfg.json --out p.json"
            )
            assert done.ok, done.stderr
            old.append(time.perf_counter() - started)
        await box.stop()
        await box.remove()
        clean = []
        output = None
        for _ in range(3):
            started = time.perf_counter()
            output = await engine.clean.run_config("a1", config, timeout=600)
            clean.append(time.perf_counter() - started)
        assert output is not None
        outcome = await engine.scorer.submit(
            "a1",
            output.to_bytes(),
            method="bench",
            recipe={"kind": "config", "digest": "bench", "config": config},
        )
        started = time.perf_counter()
        verdict = await engine.reproducer.reproduce(outcome.submission_id)
        per_seed = (time.perf_counter() - started) / seeds
    finally:
        await engine.close()
    experiment = statistics.median(clean)
    in_agent = statistics.median(old)
    print(f"toy, logconf, {epochs} epoch(s), {seeds} seeds ({verdict.reproduced.status})")
    _line("plain experiment, in the engine's process (s)", f"{base:.2f}")
    _line("the runner in the agent's own sandbox, as before (s)", f"{in_agent:.2f}")
    _line("run_experiment in a fresh sandbox, python -I (s)", f"{experiment:.2f}")
    _line("  ratio to the plain experiment", f"{experiment / base:.2f}x")
    _line("  ratio to the runner in the agent's own sandbox", f"{experiment / in_agent:.2f}x")
    _line("reproduction, seconds per seed (fresh sandbox + grade)", f"{per_seed:.2f}")
    _line("  ratio to the plain experiment", f"{per_seed / base:.2f}x")
    _line(f"reproduction of one submission, all {seeds} seeds (s)", f"{per_seed * seeds:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_measure(Path(tmp), args.seeds, args.epochs))


if __name__ == "__main__":
    main()

"""Figures of the toy task and the speed of its tooling, each printed beside its target.

    python bench/w2s_toy.py [--seeds 5]

Prints: the wall time of `aar w2s baseline --task toy --seeds 3` (a cold cache, then a warm
one), the compute time of one transfer, the start-up cost of the runner, and the toy
figures over the given seeds (weak, ceiling, PGR of each loss at default settings).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return time.perf_counter() - started, done


def _line(name: str, value: str, target: str, ok: bool | None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"  {name:48} {value:>14}   target {target:14} {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds of the toy figures")
    args = parser.parse_args()
    aar = str(Path(sys.executable).with_name("aar"))

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AAR_CACHE_DIR": str(Path(tmp) / "cache")}
        print("speed")
        cold, _ = _timed([aar, "w2s", "baseline", "--task", "toy", "--seeds", "3", "--json"], env)
        warm, _ = _timed([aar, "w2s", "baseline", "--task", "toy", "--seeds", "3", "--json"], env)
        _line("aar w2s baseline --seeds 3, cold cache (s)", f"{cold:.2f}", "< 10", cold < 10)
        _line("aar w2s baseline --seeds 3, warm cache (s)", f"{warm:.2f}", "< 10", warm < 10)

        from w2s.prepare import prepare

        prepared = prepare("toy", Path(tmp) / "task", seeds=1, cache_dir=Path(tmp) / "cache")
        cfg = Path(tmp) / "cfg.json"
        cfg.write_text(json.dumps({"loss": "logconf"}))
        out = Path(tmp) / "preds.json"
        runs = []
        for _ in range(3):
            wall, _ = _timed(
                [
                    sys.executable,
                    "-m",
                    "w2s",
                    "run",
                    "--bundle",
                    str(prepared.bundle_dir),
                    "--config",
                    str(cfg),
                    "--out",
                    str(out),
                    "--quiet",
                ],
                env,
            )
            compute = json.loads(out.read_text())["diagnostics"]["seconds"]
            runs.append((wall, compute))
        wall = statistics.median(r[0] for r in runs)
        compute = statistics.median(r[1] for r in runs)
        bare, _ = _timed([sys.executable, "-c", "pass"], env)
        torch_alone, _ = _timed([sys.executable, "-c", "import torch"], env)
        _line("python -m w2s run, wall (s)", f"{wall:.2f}", "", None)
        _line("  of which one transfer's compute (s)", f"{compute:.3f}", "< 0.5", compute < 0.5)
        _line("  of which start-up and I/O (s)", f"{wall - compute:.2f}", "", None)
        _line("  (python alone, for scale) (s)", f"{bare:.2f}", "", None)
        _line("  (python importing torch alone, for scale) (s)", f"{torch_alone:.2f}", "", None)

    from w2s.report import baseline_report

    report = baseline_report("toy", args.seeds)
    weak = report["weak"]["accuracy"]
    ceiling = report["ceiling"]["accuracy"]
    pgr = {loss: row["pgr"] for loss, row in report["transfer"].items()}

    def pm(s: dict) -> str:
        return f"{s['mean']:.3f} ± {s['se']:.3f}" if s["se"] is not None else f"{s['mean']:.3f}"

    print(f"toy figures over {args.seeds} seeds (mean ± s.e.)")
    _line("weak accuracy", pm(weak), "0.65 to 0.75", 0.65 <= weak["mean"] <= 0.75)
    _line("ceiling accuracy", pm(ceiling), "about 0.98", None)
    gap = ceiling["mean"] - weak["mean"]
    _line("ceiling - weak", f"{gap:.3f}", ">= 0.15", gap >= 0.15)
    _line("xent PGR", pm(pgr["xent"]), "low (imitation)", None)
    better = pgr["logconf"]["mean"] > pgr["xent"]["mean"]
    _line("logconf PGR", pm(pgr["logconf"]), "> xent PGR", better)
    _line("product PGR", pm(pgr["product"]), "", None)
    per = report["transfer"]["logconf"]["seconds_per_transfer"]["mean"]
    _line("transfer compute, in process (s)", f"{per:.3f}", "< 0.5", per < 0.5)


if __name__ == "__main__":
    main()

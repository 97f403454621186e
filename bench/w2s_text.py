"""Text tasks on the real harmless-base pairs: encoding, probe training and full baselines.

    .venv/bin/python bench/w2s_text.py [--data FILE] [--seeds 5] [--finetune]
    .venv/bin/python bench/w2s_text.py --cuda-check

Prints: the time to encode every text of the file with MiniLM, cold (empty cache) and from
the cache; the time to train the weak model and the strong probe once; then one baseline
over the seeds for each hh-rlhf task (pairwise and binary, TF-IDF or two-layer MiniLM
weak): weak, ceiling and transfer accuracy and PGR, each as mean ± standard error over
seeds. `--finetune` adds MiniLM fine-tuned end to end (on a subset: slow on a CPU).
`--cuda-check` only runs a few bf16 fine-tuning steps of a small model made from a config
on a CUDA device. Runs offline; its cache is a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"
TASKS = ("hh-rlhf", "hh-rlhf-binary", "hh-rlhf-minilm2l")


def pm(summary: dict) -> str:
    if summary["mean"] is None:
        return "undefined"
    se = summary["se"]
    return f"{summary['mean']:.3f} ± {se:.3f}" if se is not None else f"{summary['mean']:.3f}"


def timed(label: str, fn):
    started = time.perf_counter()
    value = fn()
    print(f"{label:52} {time.perf_counter() - started:8.2f} s", flush=True)
    return value


def bench_encoding(data: str) -> None:
    from w2s.tasks import get_task
    from w2s.train import Schedule, build_model, fit

    task = get_task("hh-rlhf")
    instance = timed("hh-rlhf build, MiniLM encode (cold cache)", lambda: task.build(0, data))
    timed("hh-rlhf build again (features from the cache)", lambda: task.build(1, data))
    print(
        f"  rows: train_label {len(instance.train_label)}, train_unlabel "
        f"{len(instance.train_unlabel)}, test {len(instance.test)}; features: weak "
        f"{instance.test.weak_x.shape[1]}, strong {instance.test.strong_x.shape[1]}"
    )
    weak = task.weak()
    timed(
        "weak model fit (TF-IDF logistic regression)",
        lambda: weak.fit(instance.train_label.weak_x, instance.train_label.y, seed=0),
    )
    spec = task.strong
    probe = build_model(spec.build, instance.train_unlabel.strong_x.shape[1], 0)
    timed(
        "strong probe fit on ground truth (ceiling)",
        lambda: fit(
            probe,
            instance.train_unlabel.strong_x,
            instance.train_unlabel.y.astype(np.float32),
            schedule=Schedule(spec.epochs, spec.lr, spec.batch_size, spec.weight_decay),
            seed=0,
        ),
    )


def bench_baselines(data: str, seeds: int) -> None:
    from w2s.cache import Cache
    from w2s.report import baseline_report

    for name in TASKS:
        report = timed(
            f"{name} baseline, {seeds} seeds",
            lambda name=name: baseline_report(name, seeds, data=data, cache=Cache()),
        )
        weak, ceiling = report["weak"]["accuracy"], report["ceiling"]["accuracy"]
        print(f"  {report['task']}: accuracy, mean ± s.e. over {seeds} seeds")
        print(f"    weak     {pm(weak)}")
        print(f"    ceiling  {pm(ceiling)}   gap {ceiling['mean'] - weak['mean']:+.3f}")
        for loss, row in report["transfer"].items():
            # The headline PGR is that of the mean accuracies (delta-method s.e.); the mean
            # of per-seed PGRs explodes where one seed's gap is near zero.
            print(
                f"    {loss:8} {pm(row['accuracy'])}   PGR of means {pm(row['pgr'])}, "
                f"mean of per-seed PGRs {pm(row['pgr_seed_mean'])}"
            )


def bench_finetune(data: str, seeds: int, pairs: int) -> None:
    from w2s.text.examples import cut_file, to_examples
    from w2s.text.finetune import FineTuneSettings, SequenceScorer
    from w2s.text.formats import get_format, items_from_records, view_items
    from w2s.text.source import load_records, parse_source

    fmt = get_format("hh-rlhf")
    records = load_records(parse_source(data))
    items = view_items(items_from_records(fmt, records, data)[:pairs], "reply")
    settings = FineTuneSettings("minilm", epochs=2, lr=5e-5, batch_size=16, max_length=128)
    ceilings, weaks, transfers = [], [], []
    for seed in range(seeds):
        splits = cut_file(items, seed)
        ex = {
            k: to_examples(v, "pairwise", seed=(seed, i)) for i, (k, v) in enumerate(splits.items())
        }
        texts = {k: [e.texts for e in v] for k, v in ex.items()}
        y = {k: np.array([e.label for e in v], dtype=np.float32) for k, v in ex.items()}
        weak = SequenceScorer(FineTuneSettings("minilm-2l", **_same(settings)), seed=seed)
        weak.fit(texts["train_label"], y["train_label"], seed=seed)
        soft = weak.predict_proba(texts["train_unlabel"])
        weak_acc = float(((weak.predict_proba(texts["test"]) > 0.5) == y["test"]).mean())
        accs = []
        for target in (y["train_unlabel"], soft):
            strong = SequenceScorer(settings, seed=seed)
            report = strong.fit(texts["train_unlabel"], target, seed=seed)
            accs.append(float(((strong.predict_proba(texts["test"]) > 0.5) == y["test"]).mean()))
        ceilings.append(accs[0])
        transfers.append(accs[1])
        weaks.append(weak_acc)
        print(
            f"  seed {seed}: weak (2-layer MiniLM fine-tuned) {weak_acc:.3f}, ceiling "
            f"{accs[0]:.3f}, transfer {accs[1]:.3f} ({report.seconds:.0f} s per strong fit)",
            flush=True,
        )
    for label, values in (("weak", weaks), ("ceiling", ceilings), ("transfer", transfers)):
        mean, se = np.mean(values), np.std(values, ddof=1) / np.sqrt(len(values))
        print(f"    {label:8} {mean:.3f} ± {se:.3f}")
    gaps = [(t - w) / (c - w) for w, c, t in zip(weaks, ceilings, transfers, strict=True) if c > w]
    if gaps:
        print(f"    PGR      {np.mean(gaps):.3f} over the {len(gaps)} seeds where ceiling > weak")


def cuda_check(steps: int = 8) -> None:
    """A few bf16 fine-tuning steps of a small BERT made from a config, on the GPU."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from w2s.text.encoders import minilm_path
    from w2s.text.finetune import FineTuneSettings, SequenceScorer

    if not torch.cuda.is_available():
        sys.exit("--cuda-check needs a CUDA device; none is visible")
    with tempfile.TemporaryDirectory(prefix="aar-tiny-bert-") as folder:
        tokenizer = AutoTokenizer.from_pretrained(minilm_path(), local_files_only=True)
        config = BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=256,
            num_hidden_layers=4,
            num_attention_heads=4,
            intermediate_size=1024,
        )
        BertForSequenceClassification(config).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 2, size=32 * steps)
        texts = [
            (f"the reply was {'kind' if y else 'rude'} number {i}",) for i, y in enumerate(labels)
        ]
        settings = FineTuneSettings(folder, epochs=1, lr=1e-3, batch_size=32, grad_accum=2)
        scorer = SequenceScorer(settings)
        report = scorer.fit(texts, labels.astype(np.float32))
        accuracy = float(((scorer.predict_proba(texts) > 0.5) == labels).mean())
    print(
        f"cuda check on {torch.cuda.get_device_name()}: {report.steps} steps, autocast "
        f"{report.dtype}, loss {report.losses[0]:.3f} -> {report.losses[-1]:.3f}, "
        f"train accuracy {accuracy:.3f}, {report.seconds:.1f} s"
    )


def _same(settings) -> dict:
    return {k: getattr(settings, k) for k in ("epochs", "lr", "batch_size", "max_length")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--finetune", action="store_true")
    parser.add_argument("--finetune-pairs", type=int, default=600)
    parser.add_argument("--cuda-check", action="store_true", help="Only the short GPU check.")
    args = parser.parse_args()
    if args.cuda_check:
        cuda_check()
        return
    if not Path(args.data).is_file():
        sys.exit(f"no data file at {args.data}; pass --data PATH")
    with tempfile.TemporaryDirectory(prefix="aar-bench-text-") as cache:
        os.environ["AAR_CACHE_DIR"] = cache
        bench_encoding(args.data)
        bench_baselines(args.data, args.seeds)
        if args.finetune:
            print(f"MiniLM fine-tuned end to end, pairwise, first {args.finetune_pairs} pairs")
            bench_finetune(args.data, min(args.seeds, 3), args.finetune_pairs)


if __name__ == "__main__":
    main()

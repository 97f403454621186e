"""One weak-to-strong transfer: train the strong student on weak labels with a method config.

Shared by the runner inside a sandbox, the baseline command and preparation, so a method
means the same everywhere. It needs no ground truth: its diagnostics compare the student
with the weak labels only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from w2s.errors import ConfigError
from w2s.methods.config import MethodConfig
from w2s.tasks.base import StrongSpec
from w2s.torchenv import torch
from w2s.train import EarlyStop, Schedule, build_model, fit, predict_proba

# Seeds of later self-training rounds are offset so that no round reuses an earlier init.
_ROUND_SEED_STRIDE = 7919


@dataclass(frozen=True)
class TransferResult:
    probs: np.ndarray
    diagnostics: dict[str, Any]


def select_confident(weak_soft: np.ndarray, config: MethodConfig) -> np.ndarray:
    """Indices of the rows the `confident` method trains on, most confident first kept."""
    confidence = np.maximum(weak_soft, 1.0 - weak_soft)
    if config.confidence_threshold is not None:
        return np.flatnonzero(confidence >= config.confidence_threshold)
    fraction = config.confident_fraction if config.confident_fraction is not None else 0.5
    keep = max(1, round(fraction * len(weak_soft)))
    # A stable sort keeps ties in row order, so the selection is deterministic.
    return np.sort(np.argsort(-confidence, kind="stable")[:keep])


def _targets(p1: np.ndarray, config: MethodConfig) -> np.ndarray:
    t = (p1 > 0.5).astype(np.float64) if config.labels == "hard" else p1.astype(np.float64)
    if config.label_smoothing:
        t = t * (1.0 - config.label_smoothing) + config.label_smoothing / 2.0
    return t


def data_rows(n: int, config: MethodConfig) -> np.ndarray | None:
    """The train_unlabel rows a `data_fraction` below 1 keeps (None: all of them)."""
    if config.data_fraction >= 1.0:
        return None
    keep = max(1, round(config.data_fraction * n))
    seed = config.seed if config.data_seed is None else config.data_seed
    return np.sort(np.random.default_rng([seed, 1]).permutation(n)[:keep])


def _train_member(
    strong: StrongSpec,
    x: np.ndarray,
    targets: np.ndarray,
    config: MethodConfig,
    seed: int,
    data_seed: int,
) -> tuple[Any, list[float], int | None, int]:
    schedule = Schedule(
        config.epochs,
        config.lr,
        config.batch_size,
        config.weight_decay,
        config.grad_accum,
        config.lr_warmup,
    )
    stop = None
    train_x, train_t = x, targets
    if config.early_stopping and len(x) >= 4:
        order = np.random.default_rng(data_seed).permutation(len(x))
        n_val = max(1, round(config.val_fraction * len(x)))
        val, rest = order[:n_val], order[n_val:]
        stop = EarlyStop(x[val], targets[val])
        train_x, train_t = x[rest], targets[rest]
    model = build_model(strong.build, x.shape[1], seed)
    lora = config.lora()
    if lora is not None:
        if strong.adapt is None:
            raise ConfigError("this task's strong model takes no adapter; leave out 'adapter'")
        model = strong.adapt(model, lora)
    result = fit(
        model,
        train_x,
        train_t,
        schedule=schedule,
        seed=data_seed,
        loss=config.loss,
        loss_options=config.loss_options(),
        early_stop=stop,
    )
    return model, result.losses, result.best_step, result.steps


def transfer(
    strong: StrongSpec,
    x: np.ndarray,
    weak_soft: np.ndarray,
    predict_x: np.ndarray,
    config: MethodConfig,
) -> TransferResult:
    """Train on rows `x` with weak labels `weak_soft` (P(y=1)); return P(y=1) on `predict_x`."""
    torch()  # Import before timing: the figure is the cost of the method, not of start-up.
    started, cpu_started = time.perf_counter(), time.process_time()
    subset = data_rows(len(x), config)
    if subset is not None:
        x, weak_soft = x[subset], weak_soft[subset]
    rows = select_confident(weak_soft, config) if config.method == "confident" else None
    train_x = x if rows is None else x[rows]
    weak_targets = _targets(weak_soft if rows is None else weak_soft[rows], config)
    rounds = config.rounds if config.method == "self_training" else 1
    predicted = np.zeros(len(predict_x))
    on_train = np.zeros(len(x))
    losses: list[float] = []
    steps = 0
    best_steps: list[int] = []
    for member in range(config.ensemble):
        seed = config.seed + member
        data_seed = seed if config.data_seed is None else config.data_seed + member
        targets = weak_targets
        for r in range(rounds):
            offset = r * _ROUND_SEED_STRIDE
            model, losses, best, n_steps = _train_member(
                strong, train_x, targets, config, seed + offset, data_seed + offset
            )
            steps += n_steps
            if best is not None:
                best_steps.append(best)
            if r + 1 < rounds:
                own = _targets(predict_proba(model, train_x), config)
                targets = config.self_weight * own + (1.0 - config.self_weight) * weak_targets
        predicted += predict_proba(model, predict_x)
        on_train += predict_proba(model, x)
    predicted /= config.ensemble
    on_train /= config.ensemble
    per_epoch = max(1, len(losses) // max(1, config.epochs))
    diagnostics: dict[str, Any] = {
        "train_loss_last_epoch": float(np.mean(losses[-per_epoch:])) if losses else None,
        "rows_trained_on": len(train_x),
        "agreement_with_weak_labels": float(np.mean((on_train > 0.5) == (weak_soft > 0.5))),
        "predicted_class1_share": float(np.mean(predicted > 0.5)) if len(predicted) else None,
        "confidence_histogram": np.histogram(predicted, bins=10, range=(0.0, 1.0))[0].tolist(),
        "optimiser_steps": steps,
        "seconds": round(time.perf_counter() - started, 4),
        # The process's CPU time: what the training cost, however busy the machine was.
        "cpu_seconds": round(time.process_time() - cpu_started, 4),
    }
    if best_steps:
        diagnostics["early_stopping_best_steps"] = best_steps
    return TransferResult(predicted, diagnostics)

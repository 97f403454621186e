"""The prepared task: splits, weak supervisor, baselines, the agent-visible bundle and the
engine-only hidden labels, prepared once per run (cached by w2s) and kept in the store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.config import RunConfig
from engine.store import dumps


@dataclass(frozen=True)
class PreparedTask:
    task_id: str
    bundle_dir: Path
    hidden_dir: Path
    baselines: dict[str, Any]  # public-half figures only: they are shown to every client
    method_defaults: dict[str, Any]
    # Hub id -> its folder in the Hugging Face cache, mounted under /models in each sandbox.
    models: dict[str, Path] = field(default_factory=dict)

    def to_json(self) -> str:
        return dumps(
            {
                "task_id": self.task_id,
                "bundle_dir": str(self.bundle_dir),
                "hidden_dir": str(self.hidden_dir),
                "baselines": self.baselines,
                "method_defaults": self.method_defaults,
                "models": {k: str(v) for k, v in self.models.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PreparedTask:
        d = json.loads(text)
        return cls(
            task_id=d["task_id"],
            bundle_dir=Path(d["bundle_dir"]),
            hidden_dir=Path(d["hidden_dir"]),
            baselines=d["baselines"],
            method_defaults=d["method_defaults"],
            models={k: Path(v) for k, v in d.get("models", {}).items()},
        )


def prepare_task(config: RunConfig, run_dir: Path, *, secret: int | None = None) -> PreparedTask:
    """Splits, weak supervisor, baselines, bundle and hidden labels; cached by w2s (blocking).

    `secret` is for benchmarks that compare searchers on the same instances across
    invocations; a run never gives one (no config field reaches it)."""
    from engine import models
    from w2s.prepare import prepare
    from w2s.tasks import get_task

    # Before any work: a missing model or GPU, or one too small, is named in one line.
    found = models.resolve(config)
    # No data seed from a run: w2s draws a secret one, so an agent that imports w2s in its
    # sandbox cannot rebuild the labels.
    prepared = prepare(
        config.task, run_dir, data=config.data, seed=secret, step=config.scoring.step
    )
    task = get_task(config.task)
    hidden = prepared.baselines
    return PreparedTask(
        task_id=prepared.task_id,
        bundle_dir=Path(prepared.bundle_dir),
        hidden_dir=Path(prepared.hidden_dir),
        baselines={
            "weak_public": hidden["weak"]["public"],
            "ceiling_public": hidden["ceiling"]["public"],
            "seeds": hidden.get("seeds"),
        },
        method_defaults=dict(task.method_defaults),
        models=found,
    )

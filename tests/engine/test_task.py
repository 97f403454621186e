"""The task a run prepares: a fresh secret instance per run; only a caller that names a secret
(a benchmark comparing searchers across invocations) meets the same instance twice."""

from __future__ import annotations

import json
from pathlib import Path

from engine.config import load
from engine.run.task import prepare_task


def _instance(prepared_hidden: Path) -> str:
    return json.loads((prepared_hidden / "task.json").read_text())["seed"]


def test_each_run_gets_a_fresh_instance_and_a_named_secret_the_same_one(tmp_path: Path) -> None:
    config = load(None, {"task": "toy"})
    a, b = (prepare_task(config, tmp_path / name) for name in ("a", "b"))
    assert _instance(a.hidden_dir) != _instance(b.hidden_dir)
    c, d = (prepare_task(config, tmp_path / name, secret=1234) for name in ("c", "d"))
    assert _instance(c.hidden_dir) == _instance(d.hidden_dir) == "1234"
    assert c.baselines == d.baselines
    assert (c.bundle_dir / "train_unlabel.npz").read_bytes() == (
        d.bundle_dir / "train_unlabel.npz"
    ).read_bytes()

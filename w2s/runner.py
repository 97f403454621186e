"""The runner an agent calls in its sandbox: train the strong student on a bundle with a method
config, and write predictions for the test rows plus diagnostics that need no ground truth.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from w2s.errors import ConfigError


def read_config(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"config file {path} is not valid JSON ({exc})") from None


def run(bundle_dir: Path, config_path: Path, out_path: Path) -> dict[str, Any]:
    """Train with the config on the bundle; write and return {"predictions", "diagnostics"}."""
    started = time.perf_counter()
    # Imports here, not at module level, so `python -m w2s methods` and errors stay fast.
    from w2s.bundle import load_bundle
    from w2s.methods.config import parse_method_config
    from w2s.methods.transfer import transfer
    from w2s.tasks import get_task

    raw = read_config(config_path)
    bundle = load_bundle(bundle_dir)
    task = get_task(bundle.task_id)
    config = parse_method_config(raw, defaults=task.method_defaults, adapters=task.strong.adapters)
    result = transfer(
        task.strong,
        bundle.train_unlabel.strong_x,
        bundle.train_unlabel.weak_soft,
        bundle.test.strong_x,
        config,
    )
    output = {
        "predictions": [round(float(p), 6) for p in result.probs],
        "diagnostics": {
            **result.diagnostics,
            "task": task.id,
            "config": config.to_dict(),
            "config_digest": config.digest(),
            "wall_seconds": round(time.perf_counter() - started, 4),
        },
    }
    _write_atomically(out_path, json.dumps(output))
    return output


def _write_atomically(path: Path, text: str) -> None:
    # A reader (the submit tool) must never see half a predictions file.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)

"""The models a run's task reads: found in the Hugging Face cache before anything is prepared,
checked against the GPUs the run was given, and mounted read-only into every sandbox.

Sandboxes have no network, so a model must be on this machine already; a missing one, a
missing GPU and a model too large for a GPU's memory each stop the run in one line before
any agent starts. Inside a sandbox each model's cache folder is at
`/models/models--ORG--NAME` and `HF_HUB_CACHE=/models`, with the hub clients offline, so
`w2s` loads it by its hub id there exactly as here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from engine.config import RunConfig
from engine.errors import ConfigError

MODELS_MOUNT = "/models"
# The hub clients read the mounted cache and never try the network; their own writes go to
# the sandbox's private /tmp, since /models is read-only.
SANDBOX_ENV = {
    "HF_HUB_CACHE": MODELS_MOUNT,
    "HF_HOME": "/tmp/hf-home",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}
# A strong model whose weights pass this size is not trained on a CPU.
CPU_WEIGHTS_LIMIT = 2 << 30
# Bytes of GPU memory per parameter: frozen bf16 weights with some room for adapters and
# activations (probes, LoRA), or fp32 weights, gradients and two Adam moments (every weight).
BYTES_PER_PARAM = {"frozen": 2.4, "every weight": 16.0}
SMI_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class TaskModel:
    model_id: str
    repo_dir: Path
    params: int


def resolve(config: RunConfig) -> dict[str, Path]:
    """Hub id -> its cache folder for every model the task reads, after checking that the
    run's GPUs can hold them; ConfigError (one line) otherwise. Blocking."""
    from w2s.errors import W2SError
    from w2s.hub import resolve_models
    from w2s.tasks import get_task

    cache = Path(config.models).expanduser().resolve() if config.models is not None else None
    try:
        task = get_task(config.task)
        snapshots = resolve_models(task.models, cache)
    except W2SError as exc:
        raise ConfigError(str(exc)) from None
    models = [TaskModel(s.model_id, s.repo_dir, _params(s.path)) for s in snapshots]
    if models:
        training = "every weight" if task.strong.adapt and task.strong.lora is None else "frozen"
        strong = max(models, key=lambda m: m.params)
        _check_gpus(config, strong, training)
    if cache is not None:
        # w2s reads models from the cache this variable names, here and in every rerun.
        os.environ["HF_HUB_CACHE"] = str(cache)
    return {m.model_id: m.repo_dir for m in models}


def sandbox_mounts(models: dict[str, Path]) -> dict[str, Path]:
    """The read-only mounts that put each model's cache folder under /models."""
    return {f"{MODELS_MOUNT}/{Path(path).name}": Path(path) for path in models.values()}


def _params(snapshot: Path) -> int:
    """Parameters of a snapshot, from its weight files' size and the dtype they are in."""
    from w2s.hub import WEIGHT_SUFFIXES

    size = sum(f.stat().st_size for f in snapshot.iterdir() if f.name.endswith(WEIGHT_SUFFIXES))
    try:
        meta = json.loads((snapshot / "config.json").read_text())
    except (OSError, ValueError):
        meta = {}
    dtype = str(meta.get("torch_dtype") or meta.get("dtype") or "float32")
    return size // (4 if "32" in dtype else 2)


def _check_gpus(config: RunConfig, strong: TaskModel, training: str) -> None:
    gpus = config.sandbox.gpus
    weights_gb = strong.params * 2 / 1e9
    if not gpus:
        if strong.params * 2 > CPU_WEIGHTS_LIMIT:
            raise ConfigError(
                f"task {config.task} trains {strong.model_id} ({strong.params / 1e9:.1f}B "
                f"parameters, {weights_gb:.1f} GB in bf16), which needs a GPU: pass --gpus 0 "
                "with --sandbox docker and an image built from sandbox/Dockerfile"
            )
        return
    if any(h and not h.startswith("unix://") for h in config.sandbox.docker_hosts):
        return  # the GPUs of a remote host cannot be seen from here
    free = gpu_free_mb()
    missing = [g for g in gpus if g not in (free or {})]
    if missing:
        seen = ", ".join(sorted(free)) if free else "none"
        raise ConfigError(
            f"GPU {missing[0]} is not on this machine (nvidia-smi sees: {seen}); give --gpus "
            "with the indexes nvidia-smi lists, or leave it out to train on the CPU"
        )
    assert free is not None
    need_gb = strong.params * BYTES_PER_PARAM[training] / 1e9
    smallest = min(gpus, key=lambda g: free[g])
    if need_gb * 1000 > free[smallest]:
        raise ConfigError(
            f"{strong.model_id} needs about {need_gb:.1f} GB of GPU memory "
            f"({strong.params / 1e9:.1f}B parameters, {training} trained), but GPU {smallest} "
            f"has {free[smallest] / 1000:.1f} GB free: use a larger GPU, or LoRA "
            '("preset": "aar-chat") instead of training every weight'
        )


def gpu_free_mb() -> dict[str, float] | None:
    """Free memory of each GPU nvidia-smi sees, in MB; None without nvidia-smi. Blocking."""
    from sandbox.gpu import query_smi

    out = query_smi("index,memory.free", timeout=SMI_TIMEOUT_S)
    if out is None:
        return None
    free = {}
    for line in out.strip().splitlines():
        index, _, mb = (part.strip() for part in line.partition(","))
        try:
            free[index] = float(mb)
        except ValueError:
            continue
    return free

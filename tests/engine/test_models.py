"""The models of a run's task: resolved from a Hugging Face cache before anything is prepared,
checked against the GPUs, and mounted read-only at /models in each sandbox with the hub
clients offline. Each way it can fail stops `aar run` in one line before any agent starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.config import load
from engine.errors import ConfigError
from engine.models import SANDBOX_ENV, resolve, sandbox_mounts
from tests.tiny_qwen import STRONG_ID, WEAK_ID, make_tiny_models

TASK = "hh-rlhf-qwen-finetune"
TEXTS = ["a kind and helpful reply", "a rude and useless reply"] * 20


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("hub")
    make_tiny_models(cache, TEXTS)
    return cache


def big_cache(root: Path, gigabytes: float) -> Path:
    """A cache whose strong model's weights take `gigabytes` on disk (a sparse file)."""
    cache = root / "hub"
    for model_id in (WEAK_ID, STRONG_ID):
        snapshot = cache / ("models--" + model_id.replace("/", "--")) / "snapshots" / "r1"
        snapshot.mkdir(parents=True)
        (snapshot / "config.json").write_text('{"torch_dtype": "bfloat16"}')
        with open(snapshot / "model.safetensors", "wb") as weights:
            weights.truncate(int(gigabytes * 1e9) if model_id == STRONG_ID else 1000)
    return cache


def fake_smi(root: Path, free_mb: int) -> str:
    """A PATH whose nvidia-smi reports one GPU with `free_mb` free (this machine has none)."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\necho '0, {free_mb}'\n")
    smi.chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


def test_each_model_of_the_task_is_found_and_mounted_under_models(tiny_cache: Path) -> None:
    found = resolve(load(None, {"task": TASK, "models": str(tiny_cache)}))
    assert set(found) == {WEAK_ID, STRONG_ID}
    mounts = sandbox_mounts(found)
    assert mounts == {
        "/models/models--Qwen--Qwen1.5-0.5B-Chat": tiny_cache / "models--Qwen--Qwen1.5-0.5B-Chat",
        "/models/models--Qwen--Qwen3-4B-Base": tiny_cache / "models--Qwen--Qwen3-4B-Base",
    }
    assert SANDBOX_ENV["HF_HUB_CACHE"] == "/models" and SANDBOX_ENV["HF_HUB_OFFLINE"] == "1"


def test_a_missing_model_names_the_command_that_fetches_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(load(None, {"task": TASK, "models": str(tmp_path)}))
    message = str(caught.value)
    assert f"huggingface-cli download {WEAK_ID} --cache-dir {tmp_path}" in message
    assert "\n" not in message


def test_a_large_model_without_a_gpu_asks_for_one(tmp_path: Path) -> None:
    config = load(None, {"task": TASK, "models": str(big_cache(tmp_path, 8.0))})
    with pytest.raises(ConfigError, match=r"4\.0B parameters.*needs a GPU: pass --gpus 0"):
        resolve(config)


def test_a_gpu_this_machine_lacks_is_named(tiny_cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no nvidia-smi: no GPU here
    config = load(None, {"task": TASK, "models": str(tiny_cache), "sandbox": {"gpus": ["0"]}})
    with pytest.raises(ConfigError, match=r"GPU 0 is not on this machine \(nvidia-smi sees: none"):
        resolve(config)


def test_a_model_too_large_for_the_gpus_free_memory_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", fake_smi(tmp_path, 8000))
    cache = big_cache(tmp_path, 8.0)
    config = load(None, {"task": TASK, "models": str(cache), "sandbox": {"gpus": ["0"]}})
    with pytest.raises(ConfigError, match=r"needs about 9\.6 GB.*GPU 0 has 8\.0 GB free"):
        resolve(config)
    monkeypatch.setenv("PATH", fake_smi(tmp_path / "more", 80000))
    assert set(resolve(config)) == {WEAK_ID, STRONG_ID}


def test_aar_run_stops_in_one_line_before_preparing(tmp_path: Path) -> None:
    aar = Path(sys.executable).with_name("aar")
    done = subprocess.run(
        [
            *(str(aar), "run", "--headless", "--task", TASK, "--minutes", "1"),
            *("--models", str(tmp_path / "none"), "--run-dir", str(tmp_path / "run")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0 and len(errors) == 1, done.stderr
    assert f"huggingface-cli download {WEAK_ID}" in errors[0]
    assert not (tmp_path / "run" / "bundle").exists()

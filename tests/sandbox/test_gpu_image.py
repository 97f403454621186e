"""The GPU sandbox image: `sandbox/Dockerfile` built on a base made here (no registry, no
network), then a LoRA fine-tuning step of the runner inside it through the Docker backend,
with the tiny Qwen models mounted at /models, the network off and an unprivileged user."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import sandbox
from engine.models import SANDBOX_ENV, sandbox_mounts
from tests.sandbox.python_base import DEPS_MOUNT, build_sandbox_image, ensure_base_image
from tests.services.docker import DockerEngine
from tests.tiny_qwen import hh_slice, hh_texts, make_tiny_models
from tests.w2s.text.conftest import HH_FILE

TASK = "hh-rlhf-qwen-finetune"


@pytest.fixture(scope="module")
def gpu_image(docker_engine: DockerEngine) -> str:
    return build_sandbox_image(docker_engine.client, ensure_base_image(docker_engine.client))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):
    """The published LoRA task prepared on a slice of hh-rlhf with the tiny models."""
    from w2s.hub import find_snapshot
    from w2s.prepare import prepare

    root = tmp_path_factory.mktemp("published")
    make_tiny_models(root / "hub", hh_texts(HH_FILE, 60))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(root / "hub"))
        data = hh_slice(HH_FILE, 60, root / "slice.jsonl.gz")
        done = prepare(TASK, root / "run", data=str(data), seeds=1, cache_dir=root / "cache")
        models = {m: find_snapshot(m).repo_dir for m in ("Qwen/Qwen3-4B-Base",)}
    return done, models


async def test_a_lora_step_runs_in_the_built_image_offline_and_unprivileged(
    docker_engine: DockerEngine, gpu_image: str, prepared, tmp_path: Path
) -> None:
    done, models = prepared
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "cfg.json").write_text(json.dumps({"preset": "aar-chat", "epochs": 1}))
    spec = sandbox.SandboxSpec(
        run_id=f"gpuimg{tmp_path.name[-12:].replace('_', '')}",
        agent_id="a1",
        workspace=workspace,
        mounts={
            "/bundle": done.bundle_dir,
            **sandbox_mounts(models),
            DEPS_MOUNT: Path(sysconfig.get_paths()["purelib"]),
        },
        env=SANDBOX_ENV,
        image=gpu_image,
        docker_host=docker_engine.host,
    )
    box = await sandbox.create("docker", spec)
    try:
        who = await box.exec("id -u; python -c 'import w2s; print(w2s.__file__)'", timeout=60)
        uid, where = who.stdout.split()[0], who.stdout.split()[-1]
        assert who.exit_code == 0, who.stdout + who.stderr
        assert uid != "0" and "site-packages/w2s" in where and not where.startswith(DEPS_MOUNT)
        run = await box.exec(
            "python -m w2s run --bundle /bundle --config cfg.json --out preds.json", timeout=600
        )
        assert run.exit_code == 0, run.stderr[-2000:]
        out = json.loads((workspace / "preds.json").read_text())
        used = out["diagnostics"]["config"]
        assert used["adapter"] == "lora" and used["lora_r"] == 32
        test_rows = len(np.load(done.hidden_dir / "labels.npz")["test_y"])
        assert len(out["predictions"]) == test_rows
        connect = "import socket; socket.create_connection(('1.1.1.1', 53), 2)"
        refused = await box.exec(f'touch /models/x; python -c "{connect}"', timeout=60)
        assert refused.exit_code != 0 and "Read-only file system" in refused.stderr
        assert "Network is unreachable" in refused.stderr or "OSError" in refused.stderr
    finally:
        await box.remove()

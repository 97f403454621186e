"""The published setting end to end on a CPU: tiny models of its architectures in a Hugging
Face cache, the hh-rlhf task prepared from the shared file, a Claude agent (the real SDK
against the scripted Messages API) running a LoRA experiment in a Docker sandbox with
/models mounted, a submission, a posted result and the report over the preset's seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.published import run_published
from tests.services.docker import DockerEngine, docker_engine  # noqa: F401  (a fixture)
from tests.services.messages_api import MessagesAPI
from w2s.methods.adapters import PRESET_SEEDS


@pytest.fixture
def api():
    with MessagesAPI(min_cache_tokens=256) as server:
        yield server


async def test_the_published_setting_runs_whole_on_tiny_models(
    docker_engine: DockerEngine,  # noqa: F811
    api: MessagesAPI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("AAR_CACHE_DIR", str(tmp_path / "cache"))
    # Two of the preset's five seeds keep the test short; bench/published_tiny.py runs all.
    seeds = PRESET_SEEDS["aar-chat"][:2]
    outcome = await run_published(tmp_path, docker_engine.host, api, report_seeds=seeds)
    assert not api.faults
    # Untrained tiny models score near chance, so PGR may be undefined (ceiling <= weak);
    # what must hold is that the LoRA experiment ran in the sandbox and was scored.
    assert len(outcome.experiment_s) == 1 and outcome.public is not None
    assert outcome.public.n > 0 and 0 <= outcome.public.accuracy <= 1
    # The report reproduced the submission from its config, over the preset's seeds.
    (reproduction,) = outcome.report.reproduced
    config = reproduction.recipe["config"]
    assert config["adapter"] == "lora" and config["lora_r"] == 32
    private = reproduction.verdict.private
    assert reproduction.verdict.reproduced.seeds == seeds
    assert len(private) == len(seeds) and all(s.n > 0 for s in private)
    markdown = outcome.report.markdown.read_text()
    assert "lora" in markdown.lower() or "aar-chat" in markdown
    # The agent's sandbox saw the models under /models and ran the experiment there.
    calls = (outcome.run_dir / "workspaces" / "a1" / "experiments").iterdir()
    assert any(p.name.endswith(".preds.json") for p in calls)

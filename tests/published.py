"""The published setting's whole path with tiny models, shared by its test and its benchmark.

Tiny Qwen2/Qwen3 models stand in for Qwen1.5-0.5B-Chat and Qwen3-4B-Base in a Hugging Face
cache folder given as `models`; the task is the registered `hh-rlhf-qwen-finetune` read from
a slice of the shared hh-rlhf file. One Claude agent, its model answered by the tests'
scripted Messages API through the real SDK, runs a LoRA experiment with the `aar-chat`
preset in a Docker sandbox (models at /models, network off), submits its predictions and
posts the result; then the report re-runs the method over the preset's seeds 42-46.
Reproducing the submission in a fresh sandbox, once the engine does it, goes between the
submission and the report.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.services.messages_api import API_KEY, MessagesAPI, Reply, text, tool
from tests.tiny_qwen import hh_slice, hh_texts, make_tiny_models

TASK = "hh-rlhf-qwen-finetune"
PAIRS = 60
EXPERIMENT = {"preset": "aar-chat", "loss": "logconf", "epochs": 1, "lr": 1e-3}


@dataclass(frozen=True)
class Outcome:
    run_dir: Path
    prepare_s: float
    experiment_s: list[float]
    public: Any  # the agent's best released public Score, or None
    report: Any  # engine.report.build.ReportFiles
    engine_info: dict[str, Any]


def _results(body: dict[str, Any]) -> list[str]:
    last = body["messages"][-1]
    if last["role"] != "user" or not isinstance(last["content"], list):
        return []
    return [
        b["content"] if isinstance(b["content"], str) else b["content"][0]["text"]
        for b in last["content"]
        if b.get("type") == "tool_result"
    ]


def researcher(body: dict[str, Any]) -> Reply:
    """The agent's model: one LoRA experiment, its submission, the result on the forum."""
    turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
    results = _results(body)
    last = results[-1] if results else ""
    if turn == 0:
        return Reply(
            [
                text("The published recipe first: LoRA r=32 with logconf."),
                tool("run_experiment", {"config": EXPERIMENT}),
            ]
        )
    if turn == 1:
        preds = json.loads(last.split("\n", 1)[1])["predictions"]
        return Reply([tool("submit", {"path": preds, "method": "aar-chat LoRA, logconf"})])
    if turn == 2:
        submission = int(re.search(r"submission (\d+)", last).group(1))
        post = {
            "kind": "result",
            "title": "aar-chat LoRA with logconf",
            "body": last[:400],
            "submission_id": submission,
        }
        return Reply([tool("forum_post", post)])
    return Reply([tool("leaderboard", {})])


async def run_published(
    root: Path, docker_host: str, api: MessagesAPI, *, report_seeds: tuple[int, ...]
) -> Outcome:
    """Prepare, run one Claude agent until its result is posted, finish, write the report.

    The caller points HF_HUB_CACHE at `root/hub` for the engine's own reruns (and restores
    it); `models` tells the engine the same folder."""
    from engine.brains.claude import ClaudeBrain, ClaudeSettings
    from engine.brains.claude.limiter import CallLimiter
    from engine.brains.claude.settings import RetryPolicy
    from engine.brains.claude.transport import make_client
    from engine.config import load
    from engine.report import write_report
    from engine.runtime import Engine
    from tests.w2s.text.conftest import HH_FILE

    cache = root / "hub"
    make_tiny_models(cache, hh_texts(HH_FILE, PAIRS))
    data = hh_slice(HH_FILE, PAIRS, root / "slice.jsonl.gz")
    api.responder = researcher
    retry = RetryPolicy(attempts=4, base=0.02, cap=0.05, retry_after_cap=5.0, timeout=30.0)
    settings = ClaudeSettings(max_tokens=1024, retry=retry, stuck_wait=600.0)
    client = make_client(base_url=api.url, api_key=API_KEY, timeout=retry.timeout)
    limiter = CallLimiter(settings.max_in_flight)

    def brain(_name: str, direction: str, _seed: int) -> ClaudeBrain:
        return ClaudeBrain(direction=direction, settings=settings, client=client, limiter=limiter)

    config = load(
        None,
        {
            "task": TASK,
            "data": str(data),
            "models": str(cache),
            "run_dir": str(root / "run"),
            "agents": {"count": 1, "brain": "claude"},
            "sandbox": {"backend": "docker", "docker_hosts": [docker_host]},
            # Untrained tiny models sit near p = 0.5, where numeric noise may tip every row to
            # one class; the scorer would rightly call that degenerate and rank nothing. The
            # path under test is the plumbing, so the degenerate check (tested on its own in
            # tests/engine/test_scoring.py) is off here.
            "scoring": {"flag_degenerate": False},
        },
    )
    started = time.perf_counter()
    engine = await Engine.open(config, brain_factory=brain)
    prepare_s = time.perf_counter() - started
    runner = asyncio.create_task(engine.run())
    try:
        deadline = time.monotonic() + 600
        while not await _result_posted(engine):
            if runner.done() or api.faults or time.monotonic() > deadline:
                raise AssertionError(f"the agent did not post its result; faults: {api.faults}")
            await asyncio.sleep(0.2)
        board = engine.projection.leaderboard()
        public = board[0].public if board else None
        info = {
            "agents": {a: s.state for a, s in engine.projection.agents.items()},
            "flags": sorted({f for e in board for f in e.flags}),
        }
    finally:
        engine.finish("the published path is done")
        await asyncio.wait_for(runner, 120)
        durations = await engine.store.fetchall(
            "SELECT duration FROM experiments WHERE duration IS NOT NULL"
        )
        await engine.close()
    report = await write_report(root / "run", top=1, seeds=report_seeds)
    return Outcome(root / "run", prepare_s, [d for (d,) in durations], public, report, info)


async def _result_posted(engine: Any) -> bool:
    await engine.events.flush()
    posts = await engine.forum.list(limit=20)
    return any(p.kind == "result" and p.submission_id is not None for p in posts)

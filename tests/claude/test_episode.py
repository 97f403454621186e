"""A whole research episode driven through the real SDK: the model posts a hypothesis, runs
an experiment in its sandbox, submits the predictions and posts the result."""

from __future__ import annotations

import json
import re

from tests.claude.conftest import fast_settings, last_results
from tests.services.messages_api import Reply, text, thinking, tool

CONFIG = {"method": "vanilla", "loss": "logconf", "epochs": 1}


def researcher(body: dict) -> Reply:
    """The model's side of the episode: each turn reads what the last tool gave back."""
    turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
    results = last_results(body)
    last = results[-1]["content"] if results else ""
    if turn == 0:
        return Reply(
            [
                thinking("Start with logconf at one epoch: cheap, and often above the teacher."),
                text("I'll state my hypothesis first."),
                tool(
                    "forum_post",
                    {
                        "kind": "hypothesis",
                        "title": "logconf beats xent",
                        "body": "Expect PGR > 0 with logconf at 1 epoch.",
                    },
                ),
            ]
        )
    if turn == 1:
        return Reply([tool("run_experiment", {"config": CONFIG})])
    if turn == 2:
        preds = json.loads(last.split("\n", 1)[1])["predictions"]
        return Reply([tool("submit", {"path": preds, "method": "logconf, 1 epoch"})])
    if turn == 3:
        submission = int(re.search(r"submission (\d+)", last).group(1))
        return Reply(
            [
                text("Scored; posting the result."),
                tool(
                    "forum_post",
                    {
                        "kind": "result",
                        "title": "logconf, 1 epoch",
                        "body": last[:500],
                        "submission_id": submission,
                    },
                ),
            ]
        )
    return Reply([tool("leaderboard", {})])


async def test_a_research_episode_posts_runs_submits_and_reports(open_swarm, api):
    api.responder = researcher
    swarm = await open_swarm(fast_settings(thinking="adaptive"))
    await swarm.wait_for(
        lambda: api.faults or len(api.requests) >= 5, timeout=60, what="the episode"
    )
    assert not api.faults
    posts = await swarm.engine.forum.list(limit=10)
    kinds = sorted(p.kind for p in posts if p.author == "a1")
    assert kinds == ["hypothesis", "result"]
    result = next(p for p in posts if p.kind == "result")
    assert result.submission_id is not None
    board = swarm.engine.projection.leaderboard()
    assert [e.agent_id for e in board] == ["a1"] and board[0].public.accuracy > 0.5
    calls = [e.payload.tool for e in await swarm.events("tool_call", agent="a1")][:4]
    assert calls == ["forum_post", "run_experiment", "submit", "forum_post"]
    assert not any(r.get("is_error") for req in api.requests for r in last_results(req.body))
    # The text streamed in pieces, as it was written.
    deltas = [e.payload.text for e in await swarm.events("text_delta", agent="a1")]
    assert len(deltas) >= 4 and "".join(deltas).startswith("I'll state my hypothesis first.")
    info = swarm.info()
    assert info.counters.cost_usd > 0 and info.counters.tokens_in > 0
    assert info.model == "claude-opus-5"

"""The conversation the model sees: cache breakpoints and cache usage, thinking apart from
text, operator redirects as marked user turns, a hard pause that keeps nothing
half-written, and compaction when the context fills up."""

from __future__ import annotations

import threading

from engine.brains.claude.models import CallUsage, cost_usd
from engine.commands import Pause, Redirect, Resume, SetBudget
from tests.claude.conftest import fast_settings, last_results, user_texts
from tests.services.messages_api import Failure, Reply, text, thinking, tool


def write(n: int) -> dict:
    return tool("write_file", {"path": f"n{n}.txt", "content": str(n)})


def breakpoints(body: dict) -> list[str]:
    where = [f"tool:{t['name']}" for t in body["tools"] if "cache_control" in t]
    where += ["system" for b in body["system"] if "cache_control" in b]
    for i, m in enumerate(body["messages"]):
        where += [f"{m['role']}:{i}" for b in m["content"] if "cache_control" in b]
    return where


async def test_prompt_caching_marks_system_tools_and_history_and_records_its_usage(open_swarm, api):
    api.script(*[Reply([text(f"step {i}"), write(i)]) for i in range(4)])
    swarm = await open_swarm()
    await swarm.wait_requests(4)
    body = api.requests[3].body
    # The tools and system prompt, then the last two user turns: the previous call's prefix
    # is read from the cache and this call's is written.
    last_tool = body["tools"][-1]["name"]
    assert breakpoints(body) == [f"tool:{last_tool}", "system", "user:4", "user:6"]
    await swarm.wait_for(lambda: len(swarm.brains["a1"].conversation.turns) >= 7, what="turns")
    usage = [e.payload for e in await swarm.events("usage", agent="a1")][:3]
    assert usage[0].cache_write_tokens > 0 and usage[0].cache_read_tokens == 0
    assert all(u.cache_read_tokens > usage[0].cache_write_tokens // 2 for u in usage[1:])
    # What the events say is what the API reported, priced from the table.
    for u, sent in zip(usage, api.requests, strict=False):
        reported = sent.usage
        assert u.cache_read_tokens == reported["cache_read_input_tokens"]
        assert u.tokens_in == sum(reported.values())
        assert u.model == "claude-opus-5"
        call = CallUsage(
            reported["input_tokens"],
            u.tokens_out,
            reported["cache_read_input_tokens"],
            reported["cache_creation_input_tokens"],
        )
        assert abs(u.cost_usd - cost_usd("claude-opus-5", call)) < 1e-12


async def test_costs_add_up_per_agent_and_per_run(open_swarm, api):
    api.responder = lambda _body: Reply([write(0)])
    swarm = await open_swarm(agents=2)
    await swarm.wait_for(
        lambda: all(b.calls >= 3 for b in swarm.brains.values()), what="three calls each"
    )
    await swarm.finish()
    usage = await swarm.events("usage")
    per_agent = {a: sum(e.payload.cost_usd for e in usage if e.agent_id == a) for a in ("a1", "a2")}
    for agent_id, brain in swarm.brains.items():
        assert abs(swarm.info(agent_id).counters.cost_usd - per_agent[agent_id]) < 1e-9
        assert abs(brain.cost_usd - per_agent[agent_id]) < 1e-9
    run_cost = swarm.engine.projection.budgets.cost_used_usd
    assert run_cost > 0 and abs(run_cost - sum(per_agent.values())) < 1e-9


async def test_thinking_streams_apart_from_the_answer_and_is_sent_back(open_swarm, api):
    api.script(Reply([thinking("weigh logconf against product"), text("Trying it."), write(1)]))
    api.responder = lambda _body: Reply([write(2)])
    swarm = await open_swarm(fast_settings(thinking=2048))
    await swarm.wait_requests(2)
    assert api.requests[0].body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    thought = "".join(e.payload.text for e in await swarm.events("thinking_delta", agent="a1"))
    said = "".join(e.payload.text for e in await swarm.events("text_delta", agent="a1"))
    assert thought == "weigh logconf against product" and said == "Trying it."
    kept = api.requests[1].body["messages"][1]["content"][0]
    assert kept["type"] == "thinking" and kept["signature"].startswith("sig-")


async def test_a_redirect_reaches_the_model_as_an_operator_turn(open_swarm, api):
    release = threading.Event()
    api.script(Reply([text("working"), write(1)], hold=release), Reply([write(2)]))
    swarm = await open_swarm()
    await swarm.wait_requests(1)
    result = await swarm.engine.command(
        Redirect(agent_id="a1", text="Drop logconf; try the product loss.")
    )
    assert result.status == "pending"
    release.set()
    await swarm.wait_requests(2)
    last = user_texts(api.requests[1].body)[-1]
    assert "Message from the operator" in last and "try the product loss" in last
    assert not any("product loss" in t for t in user_texts(api.requests[0].body))


async def test_a_hard_pause_cancels_the_stream_and_keeps_nothing_half_written(open_swarm, api):
    release = threading.Event()
    api.script(Reply([text("a half-written thought that never ends"), write(1)], hold=release))
    swarm = await open_swarm()
    await swarm.wait_for(lambda: swarm.events("text_delta", agent="a1"), what="streaming")
    result = await swarm.engine.command(Pause(agent_id="a1", hard=True))
    assert result.status == "applied" and swarm.agent().state.value == "paused"
    await swarm.wait_for(lambda: api.disconnects == 1, what="the stream to be closed")
    release.set()
    assert not await swarm.events("tool_call", agent="a1")
    api.script(Reply([write(2)]))
    await swarm.engine.command(Resume(agent_id="a1"))
    await swarm.wait_requests(2)
    again = api.requests[1].body["messages"]
    assert len(again) == 1 and "half-written" not in str(again)
    said = "".join(e.payload.text for e in await swarm.events("text_delta", agent="a1"))
    assert "cut short" in said


# The window of the test below: its shortening and summarising marks (0.6 and 0.8 of it)
# lie many turns apart, with room for the system prompt and the tools' schemas to grow.
CONTEXT_TOKENS = 20_000


async def test_a_long_conversation_is_shortened_then_summarised_and_goes_on(open_swarm, api):
    # Each turn adds a long output and a short call, so the conversation passes the
    # shortening mark with old outputs to cut, some turns before the summarising mark.
    big = "python3 -c 'print(\"x\" * 3000)'"

    def answer(body: dict):
        if not body.get("tools"):  # the summarising call
            return Reply([text("Best result so far: none. What was tried: big outputs.")])
        return Reply([tool("run_command", {"command": big})])

    api.responder = answer
    swarm = await open_swarm(fast_settings(context_tokens=CONTEXT_TOKENS))
    await swarm.wait_for(
        lambda: swarm.brains["a1"].conversation.compactions >= 1, timeout=120, what="a summary"
    )
    await swarm.wait_for(
        lambda: any("<summary>" in str(r.body["messages"][0]) for r in api.requests),
        what="a call after the summary",
    )
    bodies = [r.body for r in api.requests]
    assert any("characters of this old output cut" in str(b["messages"]) for b in bodies)
    summary_call = next(b for b in bodies if not b.get("tools"))
    assert "Best result so far" in summary_call["system"]
    after = next(b for b in bodies if "<summary>" in str(b["messages"][0]))
    assert "What was tried: big outputs." in after["messages"][0]["content"][0]["text"]


async def test_a_prompt_too_long_answer_compacts_and_asks_again(open_swarm, api):
    api.script(
        Failure(400, "invalid_request_error", "prompt is too long: 1000500 tokens > 1000000"),
        Reply([text("Best result so far: none yet.")]),
        Reply([write(1)]),
    )
    swarm = await open_swarm()
    await swarm.wait_for(lambda: swarm.events("tool_result", agent="a1"), what="the tool ran")
    assert not api.requests[1].body.get("tools")
    assert "<summary>" in api.requests[2].body["messages"][0]["content"][0]["text"]
    assert not await swarm.events("error", agent="a1")


async def test_a_spent_cost_budget_holds_the_calls_until_it_is_raised(open_swarm, api):
    api.responder = lambda _body: Reply([write(1)])
    swarm = await open_swarm(budget={"cost_usd": 0.01})
    flags = await swarm.wait_for(
        lambda: swarm.events("agent_attention", agent="a1"), what="needs_attention"
    )
    assert "cost budget is spent" in flags[-1].payload.detail
    calls = len(api.requests)
    assert calls == 1 and swarm.brains["a1"].cost_usd >= 0.01
    await swarm.engine.command(SetBudget(cost_usd=10.0))
    await swarm.wait_requests(calls + 1)


async def test_a_hard_pause_during_a_tool_answers_it_as_interrupted(open_swarm, api):
    api.script(Reply([tool("run_command", {"command": "sleep 30"}), write(1)]))
    swarm = await open_swarm()
    await swarm.wait_for(lambda: swarm.events("tool_call", agent="a1"), what="the command")
    await swarm.engine.command(Pause(agent_id="a1", hard=True))
    api.script(Reply([write(2)]))
    await swarm.engine.command(Resume(agent_id="a1"))
    await swarm.wait_requests(2)
    # The API refuses a tool use without its result: both are answered, as interrupted.
    results = last_results(api.requests[1].body)
    assert [r.get("is_error") for r in results] == [True, True]
    assert all("interrupted" in r["content"] for r in results)

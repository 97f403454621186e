"""Faults of the API, each handled: waits as told on 429, backs off on overload and 5xx,
retries connection errors and timeouts, flags an error streak, fails once on a bad key,
and keeps the run's calls in flight under its limit."""

from __future__ import annotations

import itertools

import pytest

from engine.brains.claude.limiter import CallLimiter
from engine.brains.claude.settings import RetryPolicy
from tests.claude.conftest import fast_settings
from tests.services.messages_api import Drop, Failure, Reply, Stall, text, tool

WRITE = tool("write_file", {"path": "a.txt", "content": "a"})


def gaps(api) -> list[float]:
    ts = [r.ts for r in api.requests]
    return [b - a for a, b in itertools.pairwise(ts)]


async def test_a_rate_limit_waits_as_long_as_retry_after_says(open_swarm, api):
    api.script(Failure(429, "rate_limit_error", headers={"retry-after": "0.6"}), Reply([WRITE]))
    swarm = await open_swarm()
    await swarm.wait_requests(2)
    assert 0.6 <= gaps(api)[0] < 2.0
    await swarm.wait_for(lambda: swarm.events("tool_result", agent="a1"), what="the tool ran")
    deltas = [e.payload.text for e in await swarm.events("text_delta", agent="a1")]
    assert any("rate limited (HTTP 429)" in d for d in deltas)


async def test_overload_and_server_errors_back_off_with_a_cap_then_succeed(open_swarm, api):
    api.script(
        Failure(529, "overloaded_error"),
        Failure(500, "api_error"),
        Failure(200, "overloaded_error", midstream=True),
        Reply([WRITE]),
    )
    retry = RetryPolicy(attempts=5, base=0.1, cap=0.2, timeout=5.0)
    swarm = await open_swarm(fast_settings(retry=retry))
    await swarm.wait_for(lambda: swarm.events("tool_result", agent="a1"), what="the tool ran")
    waits = gaps(api)[:3]  # three failures, then the answer that ran the tool
    assert 0.05 <= waits[0] < 0.5  # base, with jitter
    assert all(0.1 <= w < 0.6 for w in waits[1:])  # capped
    assert not await swarm.events("error", agent="a1")


async def test_connection_errors_and_timeouts_are_retried(open_swarm, api):
    api.script(Drop(), Stall(1.5), Reply([WRITE]))
    retry = RetryPolicy(attempts=4, base=0.02, cap=0.05, timeout=0.5)
    swarm = await open_swarm(fast_settings(retry=retry))
    await swarm.wait_for(lambda: swarm.events("tool_result", agent="a1"), what="the tool ran")
    # The stalled call was given up at the timeout (0.5 s), not at once (a backoff of at most
    # 0.05 s) and not when the stall ended (1.5 s). The server stamps a request once it has
    # read it, which on a loaded machine lags the client's send by tens of milliseconds, so
    # the gap between two stamps may fall a little short of the timeout.
    assert 0.4 <= gaps(api)[1] < 1.4


async def test_an_error_streak_raises_needs_attention(open_swarm, api):
    api.responder = lambda _body: Failure(529, "overloaded_error")
    retry = RetryPolicy(attempts=2, base=0.01, cap=0.02, timeout=5.0)
    swarm = await open_swarm(fast_settings(retry=retry), attention={"error_streak": 2})
    flags = await swarm.wait_for(
        lambda: swarm.events("agent_attention", agent="a1"), what="attention"
    )
    assert flags[0].payload.needs_attention and flags[0].payload.reason == "error_streak"
    errors = await swarm.events("error", agent="a1")
    assert "failed 2 times" in errors[0].payload.message
    assert "overloaded" in errors[0].payload.message


@pytest.mark.parametrize("fault", ["bad key", "permission"])
async def test_a_refused_key_fails_the_agent_once_with_what_to_fix(open_swarm, api, fault):
    if fault == "bad key":
        swarm = await open_swarm(api_key="sk-ant-wrong")
    else:
        api.script(Failure(403, "permission_error", "your key may not use this model"))
        swarm = await open_swarm()
    await swarm.wait_for(lambda: swarm.agent().state.value == "failed", what="failed")
    assert api.refused + len(api.requests) == 1
    errors = await swarm.events("error", agent="a1")
    assert len(errors) == 1 and errors[0].payload.fatal
    assert "ANTHROPIC_API_KEY" in errors[0].payload.message
    assert "ANTHROPIC_API_KEY" in swarm.info().state_reason


async def test_calls_in_flight_stay_under_the_run_wide_limit(open_swarm, api):
    api.responder = lambda _body: Reply([text("next"), WRITE], delay=0.01)
    limiter = CallLimiter(2)
    swarm = await open_swarm(agents=6, limiter=limiter)
    await swarm.wait_for(
        lambda: all(b.calls >= 3 for b in swarm.brains.values()) and len(swarm.brains) == 6,
        timeout=30,
        what="every agent made three calls",
    )
    assert api.peak_in_flight <= 2 and limiter.peak == 2

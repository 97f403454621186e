"""Tool calls from the model: malformed ones come back as errors it can read; a model that
stops calling tools, or repeats one failing call, is nudged and then flagged as stuck."""

from __future__ import annotations

from engine.brains.claude.brain import NO_TOOL_NUDGE
from engine.commands import Redirect
from tests.claude.conftest import last_results, user_texts
from tests.services.messages_api import Reply, bad_tool, text, tool


async def test_malformed_tool_input_is_answered_with_errors_and_the_agent_goes_on(open_swarm, api):
    api.script(
        Reply(
            [
                text("Let me write notes."),
                bad_tool("write_file", '{"path": "notes.txt", "content": '),
                tool("write_file", {"path": "notes.txt"}),
                tool("delete_everything", {}),
            ]
        ),
        Reply([tool("write_file", {"path": "notes.txt", "content": "fixed"})]),
    )
    swarm = await open_swarm()
    await swarm.wait_requests(3)
    results = last_results(api.requests[1].body)
    assert [r.get("is_error") for r in results] == [True, True, True]
    bad_json, missing, unknown = (r["content"] for r in results)
    assert "not valid JSON" in bad_json
    assert "content" in missing and "Field required" in missing
    assert "no tool 'delete_everything'" in unknown and "write_file" in unknown
    ok = last_results(api.requests[2].body)
    assert ok and not ok[0].get("is_error") and "wrote 5 bytes" in ok[0]["content"]
    workspace = swarm.engine.run_dir / "workspaces" / "a1" / "notes.txt"
    assert workspace.read_text() == "fixed"
    assert swarm.agent().state.value not in ("failed", "stopped")


async def test_a_model_that_stops_calling_tools_is_nudged_then_flagged(open_swarm, api):
    api.script(*[Reply([text(f"musing {i}")]) for i in range(3)])
    swarm = await open_swarm()
    attention = await swarm.wait_for(
        lambda: swarm.events("agent_attention", agent="a1"), what="needs_attention"
    )
    assert attention[-1].payload.needs_attention and attention[-1].payload.reason == "stuck"
    assert len(api.requests) == 3
    assert sum(NO_TOOL_NUDGE in t for t in user_texts(api.requests[2].body)) == 2
    # Stuck, it waits for the supervisor instead of calling the model again...
    api.script(Reply([tool("list_dir", {"path": "."})]))
    await swarm.wait_for(lambda: swarm.agent().state.value == "waiting", what="waiting")
    assert len(api.requests) == 3
    # ...and a redirect sets it going again.
    await swarm.engine.command(Redirect(agent_id="a1", text="List your workspace."))
    await swarm.wait_requests(4)
    assert "List your workspace." in user_texts(api.requests[3].body)[-1]


async def test_a_repeated_failing_call_is_nudged_then_flagged(open_swarm, api):
    same = {"path": "missing.txt"}
    api.script(*[Reply([tool("read_file", same)]) for _ in range(3)])
    swarm = await open_swarm()
    attention = await swarm.wait_for(
        lambda: swarm.events("agent_attention", agent="a1"), what="needs_attention"
    )
    assert attention[-1].payload.reason == "stuck"
    assert "repeated a failing read_file" in attention[-1].payload.detail
    assert any("same failing call 2 times" in t for t in user_texts(api.requests[2].body))

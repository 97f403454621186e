"""The conversation's own rules, without a server: every request it builds is one the API
accepts (checked by the scripted API's own checks), with at most four cache breakpoints,
and a step taken back leaves no trace."""

from __future__ import annotations

from engine.brains.claude.conversation import Conversation
from engine.brains.claude.prompt import tool_definitions
from tests.services.messages_wire import check, segments


def _tool_turn(conv: Conversation, n: int, output: str = "ok") -> None:
    conv.add_assistant([{"type": "tool_use", "id": f"t{n}", "name": "list_dir", "input": {}}])
    conv.add_tool_results([{"type": "tool_result", "tool_use_id": f"t{n}", "content": output}])


def _request(conv: Conversation) -> dict:
    tools = tool_definitions([{"name": "list_dir", "description": "d", "input_schema": {}}])
    system = [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}]
    return {"max_tokens": 10, "tools": tools, "system": system, "messages": conv.request_messages()}


def test_every_request_is_valid_with_at_most_four_breakpoints():
    conv = Conversation()
    conv.add_user_text("begin")
    for n in range(12):
        body = _request(conv)
        check(body)
        assert sum(1 for _s, bp in segments(body) if bp) <= 4
        _tool_turn(conv, n)
        if n % 5 == 0:
            conv.add_user_text("an operator message")
    # The marks live only in requests, never in the history itself.
    assert "cache_control" not in str(conv.turns)


def test_a_step_taken_back_leaves_no_trace_and_a_summary_is_kept():
    conv = Conversation()
    conv.add_user_text("begin")
    _tool_turn(conv, 1)
    before = str(conv.turns)
    mark = conv.checkpoint()
    conv.add_user_text("an operator message")
    assert conv.restore(mark) and str(conv.turns) == before
    mark = conv.checkpoint()
    conv.replace_with_summary("Best result so far: none.", "logconf")
    assert not conv.restore(mark)
    assert "Best result so far" in str(conv.turns)


def test_old_tool_outputs_are_shortened_and_recent_ones_kept_whole():
    conv = Conversation()
    conv.add_user_text("begin")
    for n in range(10):
        _tool_turn(conv, n, output="y" * 5000)
    saved = conv.shorten_old_outputs()
    outputs = [
        b["content"]
        for t in conv.turns
        if t["role"] == "user"
        for b in t["content"]
        if b.get("type") == "tool_result"
    ]
    assert saved > 0 and "characters of this old output cut" in outputs[0]
    assert outputs[-1] == "y" * 5000
    check(_request(conv))

"""Events and configs in a few readable words."""

from __future__ import annotations

from aar_tui.activity import ActivityBuffer, clean
from aar_tui.describe import describe_call, describe_event, describe_method
from engine.events import Score, SubmissionPayload, ToolResultPayload


def test_a_method_config_reads_with_its_telling_keys_first() -> None:
    text = '{"alpha": 1.0, "lr": 0.003, "loss": "logconf", "method": "vanilla"}'
    assert describe_method(text) == "method=vanilla loss=logconf lr=0.003 alpha=1"
    assert describe_method("my own words") == "my own words"


def test_a_command_call_shows_the_command() -> None:
    assert describe_call("run_command", {"cmd": ["python", "-m", "w2s"]}) == "$ python -m w2s"
    assert describe_call("forum_search", {"query": "logconf"}) == "forum_search logconf"


def test_a_flagged_submission_says_so() -> None:
    p = SubmissionPayload(
        submission_id=3,
        method="m",
        predictions_digest="d",
        public=Score(accuracy=0.5, pgr=-1.0, n=10),
        flags=("degenerate",),
    )
    assert describe_event(p) == "★ submission #3 acc 0.500 PGR -1.000 [degenerate]"


def test_a_failed_tool_result_carries_its_error() -> None:
    p = ToolResultPayload(
        call_id="c",
        tool="submit",
        ok=False,
        output="",
        error="rate limit: 60 an hour",
        duration=0.0,
    )
    assert "error: rate limit: 60 an hour" in describe_event(p)


def test_control_characters_never_reach_a_pane() -> None:
    buf = ActivityBuffer()
    buf.add_line("out", "\x1b[31mred\x1b[0m\tdone\x07")
    assert buf.tail(1) == [("out", "[31mred[0m  done")]
    assert clean("plain") == "plain"

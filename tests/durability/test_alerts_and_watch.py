"""Alerts reach a command outside the screen, rate-limited; the watch flags label hunting."""

from __future__ import annotations

from engine.alerts import Alerter, alerting
from engine.events import (
    AgentAddedPayload,
    AgentAttentionPayload,
    Event,
    Score,
    SubmissionPayload,
    ToolCallPayload,
    WatchFlagPayload,
)
from engine.projection import Projection
from engine.view import RunInfo
from engine.watch import Watch
from tests.engine.harness import until


def _attention(seq: int, agent: str, reason: str = "stuck") -> Event:
    return Event(
        seq=seq,
        ts=float(seq),
        agent_id=agent,
        payload=AgentAttentionPayload(needs_attention=True, reason=reason, detail="for 10 min"),
    )


async def test_attention_runs_the_command_with_agent_reason_and_run(open_engine, tmp_path):
    engine = await open_engine()
    out = tmp_path / "paged.txt"
    alerter = Alerter(f'echo "$AAR_RUN $AAR_AGENT $AAR_REASON" >> {out}', engine)
    alerter.on_commit([_attention(1, "a1")])
    await alerter.drain()
    assert out.read_text().split() == [engine.run_id, "a1", "stuck"]
    await engine.close()


async def test_a_flapping_agent_pages_once_per_interval(open_engine, tmp_path):
    engine = await open_engine()
    out = tmp_path / "paged.txt"
    alerter = Alerter(f"echo $AAR_AGENT >> {out}", engine, repeat_after=3600, max_per_hour=3)
    alerter.on_commit([_attention(i, "a1") for i in range(1, 6)])
    alerter.on_commit([_attention(10 + i, f"a{i}", "error_streak") for i in range(2, 6)])
    await alerter.drain()
    # a1 once; then the hourly cap (3) holds back all but two of the others. Each page runs
    # its command in a task of its own, so the pages may land in the file in any order.
    assert sorted(out.read_text().split()) == ["a1", "a2", "a3"]
    assert alerter.suppressed == 6
    await engine.close()


async def test_a_run_that_stopped_unexpectedly_pages_on_resume(open_engine, tmp_path):
    engine = await open_engine()
    engine.unexpected_stop = True
    out = tmp_path / "paged.txt"
    async with alerting(engine, f"echo $AAR_REASON > {out}"):
        pass
    assert out.read_text().strip() == "run_stopped"
    await engine.close()


def test_the_watch_flags_label_hunting_and_lets_honest_work_be(tmp_path):
    run_dir = tmp_path / "run"
    watch = Watch(None, run_dir, tmp_path / "cache")  # type: ignore[arg-type]
    honest = [
        "python -m w2s run --bundle /bundle --config cfg.json --out preds.json",
        "cat /bundle/README.md && ls /workspace",
        "python -c 'import numpy, torch; print(1)'",
        "notes/plan.md",
    ]
    assert [watch.look(t) for t in honest] == [None] * len(honest)
    hunting = {
        f"cat {run_dir}/hidden/test_y.npy": "engine path",
        f"ls {tmp_path / 'cache'}": "engine path",
        "find / -name 'hidden*'": "labels",
        "curl https://example.org/labels": "network",
        "cat ../../etc/passwd": "escape",
        "ls /run/aar-sandbox": "engine path",
    }
    for text, what in hunting.items():
        found = watch.look(text)
        assert found is not None and found[0] == what, text


async def test_a_watched_tool_call_flags_the_agent_and_its_submissions(open_engine):
    engine = await open_engine()
    log = engine.events
    log.append("a1", AgentAddedPayload(direction="d", brain="b", sandbox_backend="local"))
    log.append(
        "a1",
        SubmissionPayload(
            submission_id=1,
            method="{}",
            predictions_digest="x",
            public=Score(accuracy=0.8, pgr=0.5, n=10),
        ),
    )
    log.append(
        "a1", ToolCallPayload(call_id="c1", tool="run_command", input={"command": "ls hidden"})
    )
    await log.flush()
    await until(lambda: "watch" in engine.projection.agents["a1"].flags, what="the flag")
    entry = engine.projection.leaderboard()[0]
    assert "watch" in entry.flags and entry.rank == 1  # listed and ranked: the supervisor voids
    flags = await log.read(0, kinds=["watch_flag"])
    assert isinstance(flags[0].payload, WatchFlagPayload) and flags[0].payload.what == "labels"
    await engine.close()


def test_a_later_submission_of_a_watched_agent_is_marked_too():
    projection = Projection(
        RunInfo(
            run_id="r",
            name="r",
            task="toy",
            state="running",
            brain="offline",
            sandbox_backend="local",
            run_dir="/tmp/r",
        )
    )
    projection.apply(
        Event(
            seq=1,
            ts=1,
            agent_id="a1",
            payload=WatchFlagPayload(call_id="c", tool="read_file", what="escape"),
        )
    )
    projection.apply(
        Event(
            seq=2,
            ts=2,
            agent_id="a1",
            payload=SubmissionPayload(
                submission_id=7,
                method="{}",
                predictions_digest="y",
                public=Score(accuracy=0.7, pgr=0.2, n=10),
            ),
        )
    )
    assert projection.leaderboard()[0].flags == ("watch",)


def test_a_watch_flag_is_a_line_of_a_headless_run_and_of_the_event_list():
    from aar_tui.cli.run import progress_line
    from aar_tui.describe import describe_event

    payload = WatchFlagPayload(call_id="c", tool="run_command", what="labels", detail="ls hidden")
    event = Event(seq=1, ts=1.0, agent_id="a2", payload=payload)
    assert progress_line(event) == "[a2] flagged by the watch (labels): ls hidden"
    assert describe_event(payload).startswith("⚑ watch: labels")

"""The app's picture of a run: how events change it, and what they announce."""

from __future__ import annotations

from aar_tui.activity import PANE_LINES, ActivityBuffer
from aar_tui.model import RunModel
from engine.events import (
    AgentStatePayload,
    Event,
    PrivateRevealedPayload,
    Reproduced,
    ReproductionPayload,
    RevealedScore,
    Score,
    SubmissionPayload,
    SubmissionVoidedPayload,
    TextDeltaPayload,
)
from tests.tui.fake_view import NOW, snapshot


def _model() -> RunModel:
    model = RunModel()
    model.load(snapshot())
    return model


def _ev(seq: int, payload: object, agent: str | None = "a1") -> Event:
    return Event(seq=seq, ts=NOW, agent_id=agent, payload=payload)  # type: ignore[arg-type]


def test_streamed_text_deltas_join_into_lines() -> None:
    buf = ActivityBuffer()
    for piece in ("I will ", "run log", "conf.\nThen sub", "mit."):
        buf.stream("text", piece)
    assert buf.tail(5) == [("text", "I will run logconf."), ("text", "Then submit.")]


def test_activity_buffer_is_bounded() -> None:
    buf = ActivityBuffer()
    for i in range(PANE_LINES * 3):
        buf.add_line("out", f"line {i}")
    assert len(buf.lines) == PANE_LINES
    assert buf.tail(1) == [("out", f"line {PANE_LINES * 3 - 1}")]


def test_a_better_submission_raises_the_best_pgr_and_announces_it() -> None:
    model = _model()
    sub = SubmissionPayload(
        submission_id=9,
        method="m",
        predictions_digest="d",
        public=Score(accuracy=0.9, pgr=0.7, n=500),
    )
    changes, notices = model.apply([_ev(101, sub)])
    assert model.best_pgr == 0.7
    assert model.agents["a1"].best_pgr == 0.7
    assert changes.board and changes.header
    assert any("0.700" in n.message and n.title == "New best PGR" for n in notices)


def test_a_flagged_submission_is_not_ranked_and_warns() -> None:
    model = _model()
    sub = SubmissionPayload(
        submission_id=9,
        method="m",
        predictions_digest="d",
        public=Score(accuracy=0.99, pgr=0.99, n=500),
        flags=("probing",),
    )
    _, notices = model.apply([_ev(101, sub)])
    assert model.best_pgr == 0.412
    assert model.submissions[9].rank is None
    assert model.ranked_submissions()[0].submission_id == 1
    assert [n.severity for n in notices] == ["warning"]


def test_voiding_the_best_submission_lowers_the_best() -> None:
    model = _model()
    model.apply(
        [_ev(101, SubmissionVoidedPayload(submission_id=1, reason="leak", by="supervisor"), None)]
    )
    assert model.submissions[1].voided
    assert model.best_pgr == 0.288


def test_a_failed_reproduction_shows_beside_the_claim_and_unranks_it() -> None:
    model = _model()
    verdict = Reproduced(
        status="irreproducible",
        seeds=(0, 1, 2, 3, 4),
        public_pgr_mean=0.05,
        public_pgr_sd=0.01,
        flags=("irreproducible",),
        message="short of its claim",
    )
    model.apply([_ev(101, ReproductionPayload(submission_id=1, reproduced=verdict), None)])
    sub = model.submissions[1]
    assert sub.reproduced == verdict and "irreproducible" in sub.flags and sub.rank is None


def test_state_changes_reach_the_row_and_events_already_seen_are_ignored() -> None:
    model = _model()
    model.apply([_ev(101, AgentStatePayload(state="paused", previous="running"))])  # type: ignore[arg-type]
    assert model.agents["a1"].state == "paused"
    changes, _ = model.apply([_ev(101, AgentStatePayload(state="running"))])  # type: ignore[arg-type]
    assert model.agents["a1"].state == "paused"
    assert changes.events == 0


def test_private_scores_appear_only_when_revealed() -> None:
    model = _model()
    assert all(s.private is None for s in model.submissions.values())
    reveal = PrivateRevealedPayload(
        by="supervisor",
        scores=(
            RevealedScore(
                submission_id=1, agent_id="a1", private=Score(accuracy=0.85, pgr=0.35, n=500)
            ),
        ),
    )
    model.apply([_ev(101, reveal, None)])
    assert model.submissions[1].private is not None
    assert model.run is not None and model.run.private_revealed


def test_pane_shows_the_latest_text_as_it_streams() -> None:
    model = _model()
    changes, _ = model.apply([_ev(101, TextDeltaPayload(text="half a li"))])
    assert "a1" in changes.panes
    assert model.activity["a1"].tail(1) == [("text", "half a li")]
    assert model.agents["a1"].step == "writing"


def test_prefill_fills_the_pane_but_keeps_the_snapshots_counters() -> None:
    from tests.tui.fake_view import transcript_events

    model = _model()
    before = model.agents["a1"].experiments, model.agents["a1"].submissions
    model.prefill("a1", transcript_events("a1"))
    assert (model.agents["a1"].experiments, model.agents["a1"].submissions) == before
    assert any("submission #1" in text for _, text in model.activity["a1"].tail(20))
    assert model.agents["a1"].step == "submitted #1"

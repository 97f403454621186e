"""The scoring service and its defences, with the real w2s grader and a prepared toy task."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.config import ScoringConfig
from engine.errors import SubmissionRefused
from engine.events import SubmissionPayload
from engine.scoring import Scorer


def _preds(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.random(n)


def _bytes(p: np.ndarray) -> bytes:
    return json.dumps({"predictions": [round(float(x), 6) for x in p]}).encode()


@pytest.fixture
def n_test(prepared_toy) -> int:
    manifest = json.loads((prepared_toy.bundle_dir / "manifest.json").read_text())
    return manifest["rows"]["test"]


@pytest.fixture
def scorer(store, log, prepared_toy):
    return Scorer(store, log, prepared_toy.hidden_dir, ScoringConfig(submissions_per_hour=5))


async def test_a_submission_gets_public_figures_to_three_decimals_and_no_private(
    scorer, log, n_test
):
    out = await scorer.submit("a1", _bytes(_preds(n_test, 1)), method="random")
    assert out.scored and out.public is not None
    assert round(out.public.accuracy, 3) == out.public.accuracy
    await log.flush()
    (event,) = [e for e in await log.read(0) if e.kind == "submission"]
    assert isinstance(event.payload, SubmissionPayload)
    assert "private" not in event.payload.model_dump_json()


async def test_rate_limit_refuses_past_the_hourly_allowance(scorer, n_test):
    for seed in range(5):
        await scorer.submit("a1", _bytes(_preds(n_test, seed)), method="m")
    with pytest.raises(SubmissionRefused, match="rate limit"):
        await scorer.submit("a1", _bytes(_preds(n_test, 99)), method="m")
    # Another agent has its own allowance.
    assert (await scorer.submit("a2", _bytes(_preds(n_test, 98)), method="m")).scored


async def test_near_duplicate_of_any_earlier_submission_is_flagged_as_probing(scorer, n_test):
    base = _preds(n_test, 7)
    first = await scorer.submit("a1", _bytes(base), method="m")
    assert first.scored
    probe = base.copy()
    probe[:5] = 1.0 - probe[:5]  # 5 rows changed: well under 1% of the test rows
    out = await scorer.submit("a2", _bytes(probe), method="m")
    assert "probing" in out.flags and not out.scored and out.public is None
    far = base.copy()
    far[: n_test // 10] = 1.0 - far[: n_test // 10]  # 10%: a genuine new submission
    assert (await scorer.submit("a2", _bytes(far), method="m")).scored


async def test_all_one_class_is_flagged_degenerate(scorer, n_test):
    out = await scorer.submit("a1", _bytes(np.full(n_test, 0.9)), method="constant")
    assert "degenerate" in out.flags and out.scored


async def test_bad_predictions_are_refused_with_the_graders_reason(scorer):
    with pytest.raises(SubmissionRefused):
        await scorer.submit("a1", b'{"predictions": [0.5, 0.5]}', method="m")


async def test_void_and_reveal(scorer, log, n_test):
    out = await scorer.submit("a1", _bytes(_preds(n_test, 3)), method="m")
    assert await scorer.void(out.submission_id, "leak", "supervisor")
    assert not await scorer.void(out.submission_id, "again", "supervisor")
    revealed = await scorer.reveal("supervisor")
    assert [r.submission_id for r in revealed] == [out.submission_id]
    assert 0 <= revealed[0].private.accuracy <= 1


def _right_with(prepared, share: float, seed: int) -> np.ndarray:
    """Hard predictions that agree with the hidden labels on exactly `share` of each half."""
    from w2s.hidden import load_hidden

    hidden = load_hidden(prepared.hidden_dir)
    rng = np.random.default_rng(seed)
    wrong = np.zeros(len(hidden.test_y), dtype=bool)
    for half in (hidden.test_public, ~hidden.test_public):
        rows = np.flatnonzero(half)
        wrong[rng.choice(rows, round((1 - share) * len(rows)), replace=False)] = True
    return np.where(wrong, 1 - hidden.test_y, hidden.test_y).astype(float)


async def test_a_score_is_released_only_past_a_step_and_on_the_grid(scorer, log, prepared_toy):
    baselines = json.loads((prepared_toy.bundle_dir / "baselines.json").read_text())
    step = baselines["step"]
    first = await scorer.submit("a1", _bytes(_right_with(prepared_toy, 0.70, 1)), method="m")
    assert first.public is not None and first.best == first.public
    assert round(first.public.accuracy / step, 6).is_integer()
    weak, ceiling = baselines["weak_accuracy_public"], baselines["ceiling_accuracy_public"]
    assert first.public.pgr == round((first.public.accuracy - weak) / (ceiling - weak), 3)
    # A third of a step better: the released value is within half a step of 0.70, so this
    # is under a step above it and nothing new is said.
    close_share = 0.70 + step / 3
    close = await scorer.submit("a1", _bytes(_right_with(prepared_toy, close_share, 2)), method="m")
    assert close.scored and close.public is None and close.best == first.public
    assert "no significant improvement on your best" in close.message
    assert f"{first.public.accuracy:.3f}" in close.message
    far = await scorer.submit("a1", _bytes(_right_with(prepared_toy, 0.85, 3)), method="m")
    assert far.public is not None and far.public.accuracy > first.public.accuracy + step
    # Another agent climbs its own ladder.
    other = await scorer.submit("a2", _bytes(_right_with(prepared_toy, 0.71, 4)), method="m")
    assert other.public is not None
    await log.flush()
    told = [e.payload.public for e in await log.read(0) if e.kind == "submission"]
    assert told == [first.public, None, far.public, other.public]
    # Graded all the same: the private half is kept for every one of them.
    assert len(await scorer.private_scores()) == 4


async def test_past_the_daily_release_cap_submissions_are_graded_but_nothing_is_released(
    store, log, prepared_toy
):
    now = [1_000_000.0]
    scorer = Scorer(
        store, log, prepared_toy.hidden_dir, ScoringConfig(releases_per_day=2), clock=lambda: now[0]
    )
    for seed, agent in enumerate(("a1", "a2")):
        preds = _bytes(_right_with(prepared_toy, 0.7, seed))
        assert (await scorer.submit(agent, preds, method="m")).public is not None
    capped = await scorer.submit("a3", _bytes(_right_with(prepared_toy, 0.9, 5)), method="m")
    assert capped.scored and capped.public is None and capped.best is None
    assert "released its 2 public scores for the last 24 hours" in capped.message
    assert capped.submission_id in await scorer.private_scores()
    now[0] += 24 * 3600 + 1
    later = await scorer.submit("a3", _bytes(_right_with(prepared_toy, 0.9, 6)), method="m")
    assert later.public is not None


async def test_many_small_block_variations_are_flagged_adaptive_and_the_agent_watched(
    store, log, prepared_toy, n_test
):
    scorer = Scorer(
        store,
        log,
        prepared_toy.hidden_dir,
        ScoringConfig(adaptive_count=4, adaptive_share=0.03, submissions_per_hour=100),
    )
    base = (_preds(n_test, 11) >= 0.5).astype(float)
    await scorer.submit("a1", _bytes(base), method="base")
    flags = []
    size = n_test * 15 // 1000  # 1.5% of the test rows: past probing, a small block
    for i in range(5):
        variant = base.copy()
        block = slice(size * i, size * (i + 1))
        variant[block] = 1 - variant[block]
        # Two ids, as a sybil would: the count is the submitter's, the base anyone's.
        out = await scorer.submit("a1" if i < 4 else "a2", _bytes(variant), method="v")
        flags.append("adaptive" in out.flags)
        assert "probing" not in out.flags
    assert flags == [False, False, False, True, False]
    await log.flush()
    watched = [e for e in await log.read(0) if e.kind == "watch_flag"]
    assert [(e.agent_id, e.payload.what) for e in watched] == [("a1", "adaptive")]
    # Far-apart submissions are no design of that kind.
    for seed in range(20, 26):
        out = await scorer.submit("a3", _bytes(_preds(n_test, seed)), method="m")
        assert "adaptive" not in out.flags


async def test_the_most_common_answer_with_a_few_rows_changed_is_still_degenerate(scorer, n_test):
    near = np.ones(n_test)
    near[:30] = 0.0  # 30 rows: within the probing distance (1%) of a constant answer
    out = await scorer.submit("a1", _bytes(near), method="constant")
    assert "degenerate" in out.flags and out.public is None and "degenerate" in out.message
    mixed = np.ones(n_test)
    mixed[: n_test // 20] = 0.0  # 5% of the other class: a real (if poor) classifier
    assert "degenerate" not in (await scorer.submit("a2", _bytes(mixed), method="m")).flags


async def test_the_adaptive_count_and_the_ladder_survive_a_restart(
    store, log, prepared_toy, n_test
):
    config = ScoringConfig(adaptive_count=3, submissions_per_hour=100)
    base = (_preds(n_test, 12) >= 0.5).astype(float)

    size = n_test * 15 // 1000  # 1.5% of the test rows, as above

    def variant(i: int) -> bytes:
        v = base.copy()
        v[size * i : size * (i + 1)] = 1 - v[size * i : size * (i + 1)]
        return _bytes(v)

    before = Scorer(store, log, prepared_toy.hidden_dir, config)
    first = await before.submit("a1", _bytes(base), method="base")
    for i in range(2):
        assert "adaptive" not in (await before.submit("a1", variant(i), method="v")).flags
    after = Scorer(store, log, prepared_toy.hidden_dir, config)  # the engine started again
    out = await after.submit("a1", variant(2), method="v")
    assert "adaptive" in out.flags and out.best == first.public

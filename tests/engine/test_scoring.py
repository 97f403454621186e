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
    probe[:5] = 1.0 - probe[:5]  # 5 of 4000 rows changed: well under 1%
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

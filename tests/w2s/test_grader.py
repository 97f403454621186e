"""The grader: scores on the public half, the private half kept apart, bad predictions refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from w2s.bundle import load_bundle
from w2s.errors import BundleError, PredictionsError
from w2s.grader import grade
from w2s.prepare import Prepared
from w2s.tasks.toy_v2 import CONFIG

N = CONFIG["test_rows"]  # of the toy task the fixture prepares


@pytest.fixture(scope="module")
def truth(prepared: Prepared) -> np.ndarray:
    with np.load(prepared.hidden_dir / "labels.npz") as data:
        return data["test_y"]


def test_the_weak_labels_themselves_recover_nothing(prepared: Prepared) -> None:
    weak = load_bundle(prepared.bundle_dir).test.weak_soft
    result = grade(prepared.hidden_dir, weak.tolist())
    assert result.public.pgr == pytest.approx(0.0, abs=1e-9)
    assert result.public.accuracy == pytest.approx(prepared.baselines["weak"]["public"])


def test_perfect_predictions_score_one_on_both_halves(prepared: Prepared, truth) -> None:
    result = grade(prepared.hidden_dir, json.dumps(truth.tolist()))
    assert result.public.accuracy == result.private.accuracy == 1.0
    assert result.public.pgr > 1.0
    assert result.public.n + result.private.n == len(truth)
    assert result.hard_labels == tuple(truth.tolist())


def test_halves_are_scored_apart(prepared: Prepared, truth) -> None:
    with np.load(prepared.hidden_dir / "labels.npz") as data:
        public = data["test_public"]
    # Right on the public half only.
    preds = np.where(public, truth, 1 - truth).astype(float)
    result = grade(prepared.hidden_dir, preds.tolist())
    assert (result.public.accuracy, result.private.accuracy) == (1.0, 0.0)


def test_public_view_never_carries_the_private_half(prepared: Prepared, truth) -> None:
    result = grade(prepared.hidden_dir, truth.tolist())
    shown = json.dumps(result.public_dict())
    assert "private" not in shown
    assert "private" not in json.dumps(result.to_dict())
    assert result.to_dict(private=True)["private"]["n"] == result.private.n


def test_runner_output_and_probabilities_are_accepted(prepared: Prepared, truth) -> None:
    probs = np.where(truth == 1, 0.8, 0.3).tolist()
    as_object = {"predictions": probs, "diagnostics": {"anything": 1}}
    result = grade(prepared.hidden_dir, json.dumps(as_object).encode())
    assert result.public.accuracy == 1.0
    assert result.distribution["hard_only"] is False
    assert result.distribution["class1_share"] == pytest.approx(truth.mean())


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda n: "", "empty"),
        (lambda n: b"   \n", "empty"),
        (lambda n: "[0, 1", "not valid JSON"),
        (lambda n: b"\xff\xfe", "UTF-8"),
        (lambda n: "[" + ",".join(["0"] * (n - 1)) + "]", f"expected {N}"),
        (lambda n: [0] * (n + 1), "got"),
        (lambda n: [float("nan")] + [0] * (n - 1), "prediction 0 is nan"),
        (lambda n: "[NaN" + ",0" * (n - 1) + "]", "finite"),
        (lambda n: [0] * (n - 1) + [1.5], f"prediction {N - 1} is 1.5"),
        (lambda n: [0] * (n - 1) + [-0.1], "[0, 1]"),
        (lambda n: ["1"] * n, 'prediction 0 is "1"'),
        (lambda n: [True] * n, "prediction 0 is true"),
        (lambda n: [[0]] * n, "prediction 0 is [0]"),
        (lambda n: {"preds": [0] * n}, '"predictions" list'),
        (lambda n: "42", "got int"),
    ],
)
def test_bad_predictions_are_refused_with_what_is_wrong(prepared: Prepared, make, needle) -> None:
    n = load_bundle(prepared.bundle_dir).manifest["rows"]["test"]
    assert n == N
    with pytest.raises(PredictionsError) as info:
        grade(prepared.hidden_dir, make(n))
    assert needle in str(info.value)


def test_a_missing_hidden_dir_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(BundleError, match="does not exist"):
        grade(tmp_path / "nope", [0])
    with pytest.raises(BundleError, match="missing"):
        grade(tmp_path, [0])

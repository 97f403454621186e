"""The grader: predictions for the test rows in; accuracy and PGR on each test half out.

It accepts a JSON list (0/1 or P(y=1), one per test row in bundle order) or an object with
a "predictions" list, as the runner writes. Anything else is a PredictionsError that says
what was wrong, so a bad file never reaches the scores.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from w2s.errors import PredictionsError
from w2s.hidden import load_hidden
from w2s.metrics import accuracy, pgr


@dataclass(frozen=True)
class Score:
    accuracy: float
    pgr: float | None
    n: int


@dataclass(frozen=True)
class Grade:
    public: Score
    private: Score
    distribution: dict[str, Any]
    hard_labels: tuple[int, ...]

    def public_dict(self) -> dict[str, Any]:
        """What an agent may see: the public half's figures and the prediction distribution."""
        return {**asdict(self.public), "distribution": self.distribution}

    def to_dict(self, *, private: bool = False) -> dict[str, Any]:
        out = {"public": asdict(self.public), "distribution": self.distribution}
        if private:
            out["private"] = asdict(self.private)
        return out


def _decode(predictions: str | bytes | list[Any] | dict[str, Any]) -> list[Any]:
    value: Any = predictions
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise PredictionsError("predictions are not UTF-8 text; expected a JSON list") from None
    if isinstance(value, str):
        if not value.strip():
            raise PredictionsError("predictions are empty; expected a JSON list of numbers")
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise PredictionsError(f"predictions are not valid JSON ({exc})") from None
        except RecursionError:
            raise PredictionsError(
                "predictions are nested too deeply to read; expected a flat JSON list of numbers"
            ) from None
    if isinstance(value, dict):
        if "predictions" not in value:
            raise PredictionsError(
                'a predictions object must have a "predictions" list; '
                f"its keys are: {', '.join(map(str, value)) or 'none'}"
            )
        value = value["predictions"]
    if not isinstance(value, list):
        raise PredictionsError(
            f"predictions must be a JSON list of numbers, got {type(value).__name__}"
        )
    return value


def parse_predictions(predictions: str | bytes | list[Any] | dict[str, Any], n: int) -> np.ndarray:
    """P(y=1) per test row, checked: `n` values, each a finite number in [0, 1]."""
    values = _decode(predictions)
    if len(values) != n:
        raise PredictionsError(
            f"expected {n} predictions (one per test row, in bundle order), got {len(values)}"
        )
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise PredictionsError(
                f"prediction {i} is {json.dumps(v)[:40]}; each must be 0, 1 or a probability"
            )
        if not math.isfinite(v) or not 0.0 <= v <= 1.0:
            raise PredictionsError(f"prediction {i} is {v}; each must be a finite number in [0, 1]")
    return np.asarray(values, dtype=np.float64)


def distribution(p1: np.ndarray) -> dict[str, Any]:
    """How the predictions are spread, without reference to any label."""
    hard = p1 >= 0.5
    return {
        "n": len(p1),
        "class1_share": float(hard.mean()) if len(p1) else None,
        "mean_probability": float(p1.mean()) if len(p1) else None,
        "hard_only": bool(np.isin(p1, (0.0, 1.0)).all()),
        "histogram": np.histogram(p1, bins=10, range=(0.0, 1.0))[0].tolist(),
    }


def grade(hidden_dir: Path | str, predictions: str | bytes | list[Any] | dict[str, Any]) -> Grade:
    """Score `predictions` against the hidden labels of a prepared task."""
    hidden = load_hidden(hidden_dir)
    p1 = parse_predictions(predictions, len(hidden.test_y))
    scores = {}
    for half, mask in (("public", hidden.test_public), ("private", ~hidden.test_public)):
        acc = accuracy(p1[mask], hidden.test_y[mask])
        weak = hidden.baselines["weak"][half]
        ceiling = hidden.baselines["ceiling"][half]
        scores[half] = Score(acc, pgr(acc, weak, ceiling), int(mask.sum()))
    hard = tuple(int(x) for x in (p1 >= 0.5))
    return Grade(scores["public"], scores["private"], distribution(p1), hard)

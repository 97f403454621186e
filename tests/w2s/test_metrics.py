"""PGR over seeds: the PGR of the mean accuracies and its standard error stay meaningful when
one seed's gap is near zero, where the mean of per-seed PGRs blows up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from w2s.metrics import mean_se, pgr, pgr_of_means


def test_pgr_of_means_is_the_ratio_of_the_mean_gains() -> None:
    value, se = pgr_of_means([0.70, 0.80], [0.60, 0.60], [0.80, 1.00])
    assert value == pytest.approx((0.75 - 0.60) / (0.90 - 0.60))
    assert se is not None and se > 0


def test_a_seed_with_a_vanishing_gap_does_not_swamp_the_headline() -> None:
    # Two ordinary seeds recover about half the gap; the third has almost no gap at all.
    weak = [0.60, 0.62, 0.600]
    ceiling = [0.70, 0.72, 0.601]
    transfer = [0.65, 0.67, 0.560]
    per_seed = [pgr(t, w, c) for t, w, c in zip(transfer, weak, ceiling, strict=True)]
    seed_mean, seed_se = mean_se(per_seed)
    assert seed_mean is not None and seed_se is not None
    assert seed_mean < -10 and seed_se > 10  # the mean of ratios is meaningless here
    value, se = pgr_of_means(transfer, weak, ceiling)
    assert value is not None and se is not None
    assert 0.0 < value < 0.5 and se < 0.5


def test_the_delta_method_matches_the_spread_of_simulated_experiments() -> None:
    # Many experiments of 5 seeds from one distribution: the s.e. the formula gives from one
    # experiment should match, on average, the spread of the PGR across experiments.
    rng = np.random.default_rng(0)
    values, ses = [], []
    for _ in range(2000):
        weak = 0.65 + 0.01 * rng.standard_normal(5)
        ceiling = 0.90 + 0.01 * rng.standard_normal(5)
        transfer = weak + 0.5 * (ceiling - weak) + 0.015 * rng.standard_normal(5)
        value, se = pgr_of_means(transfer, weak, ceiling)
        values.append(value)
        ses.append(se)
    spread = float(np.std(values))
    assert np.mean(values) == pytest.approx(0.5, abs=0.01)
    assert float(np.mean(ses)) == pytest.approx(spread, rel=0.25)


def test_no_gap_gives_no_pgr_and_one_seed_no_standard_error() -> None:
    assert pgr_of_means([0.7, 0.7], [0.8, 0.8], [0.8, 0.79]) == (None, None)
    value, se = pgr_of_means([0.7], [0.6], [0.8])
    assert value is not None and math.isclose(value, 0.5) and se is None
    with pytest.raises(ValueError, match="one accuracy per seed"):
        pgr_of_means([0.7], [0.6, 0.6], [0.8])

"""The Ladder on its own: what it releases, and the bound it keeps."""

from __future__ import annotations

import itertools
import math

import pytest

from engine.ladder import Ladder


def test_the_first_submission_is_released_on_the_grid():
    out = Ladder(0.02).release(None, 0.7137)
    assert out.released and out.accuracy == out.best == 0.72


def test_a_score_within_a_step_of_the_best_releases_nothing():
    ladder = Ladder(0.02)
    out = ladder.release(0.72, 0.7399)
    assert not out.released and out.accuracy is None and out.best == 0.72
    # Lower is no news either.
    assert not ladder.release(0.72, 0.5).released


def test_a_score_past_a_step_is_released_rounded_and_strictly_higher():
    out = Ladder(0.02).release(0.72, 0.7401)
    assert out.released and out.accuracy == 0.74 and out.best == 0.74


def test_released_values_rise_by_a_step_so_an_agent_gets_few_releases():
    ladder = Ladder(0.023)
    best, released = None, []
    for k in range(10_001):  # accuracy creeping up from 0 to 1 in tiny increments
        out = ladder.release(best, k / 10_000)
        if out.released:
            released.append(out.accuracy)
        best = out.best
    assert all(b - a >= ladder.step - 1e-9 for a, b in itertools.pairwise(released))
    assert len(released) <= ladder.releases_per_agent == 44
    assert ladder.bits_per_release == pytest.approx(math.log2(1 + 1 / 0.023))


def test_the_default_step_follows_the_public_halfs_size():
    assert Ladder.for_public_rows(2000).step == 0.023  # 1/sqrt(2000) = 0.0224, rounded up
    assert Ladder.for_public_rows(10_000).step == 0.01
    assert Ladder.for_public_rows(2000, step=0.05).step == 0.05


def test_pgr_uses_the_baselines_on_the_same_grid():
    ladder = Ladder(0.02)
    # weak 0.611 -> 0.62, ceiling 0.899 -> 0.9: PGR of 0.76 is (0.76 - 0.62) / 0.28 = 0.5
    assert ladder.pgr(0.76, 0.611, 0.899) == 0.5
    assert ladder.pgr(0.76, 0.70, 0.705) is None  # one grid point: no gap to recover

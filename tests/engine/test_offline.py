"""The offline researcher's understanding of words and its search space."""

from __future__ import annotations

import random

import pytest

from engine.brains.offline.beliefs import Beliefs
from engine.brains.offline.knowledge import Knowledge, Trial
from engine.brains.offline.space import Constraints, apply_constraints, random_config
from engine.brains.offline.understanding import understand
from engine.directions import DIRECTIONS, directions_for


def test_a_redirect_naming_a_loss_and_small_learning_rates_is_understood():
    u = understand("focus on logconf with small learning rates")
    assert u.constraints.fixed == {"loss": "logconf"}
    lo, hi = u.constraints.ranges["lr"]
    assert lo >= 1e-4 and hi <= 2e-3
    assert not u.not_understood


def test_numbers_and_unknown_words_are_reported():
    u = understand("try product with epochs 4 and a backflip")
    assert u.constraints.fixed == {"loss": "product", "epochs": 4}
    assert u.not_understood == ["backflip"]


def test_directions_are_distinct_and_given_ones_come_first():
    dirs = directions_for(4, ["mine"])
    assert dirs[0] == "mine" and len(set(dirs)) == 4
    assert len(set(directions_for(len(DIRECTIONS)))) == len(DIRECTIONS)


def test_search_keeps_to_the_constraints_and_to_what_w2s_accepts():
    from w2s.methods import parse_method_config

    rng = random.Random(0)
    c = Constraints(fixed={"loss": "logconf"}, ranges={"lr": (1e-4, 1e-3)})
    beliefs = Beliefs(seed=0)
    for i in range(40):
        number, child = beliefs.propose(c)
        assert child["loss"] == "logconf" and 1e-4 <= child["lr"] <= 1e-3
        parse_method_config(child)
        beliefs.finished(number, pgr=child["lr"] * 100, key=str(i))
        parse_method_config(random_config({}, rng, Constraints()))


def test_the_proxy_learns_from_scored_trials():
    k = Knowledge()
    for i, agree in enumerate((0.70, 0.75, 0.80, 0.85, 0.90, 0.95)):
        diag = {"agreement_with_weak_labels": agree, "predicted_class1_share": 0.5}
        k.add(Trial(str(i), {"lr": i}, "a1", diag, pgr=1.0 - agree))
    low = k.proxy({"agreement_with_weak_labels": 0.72, "predicted_class1_share": 0.5})
    high = k.proxy({"agreement_with_weak_labels": 0.93, "predicted_class1_share": 0.5})
    assert low is not None and high is not None and low > high


def test_the_proxy_is_not_fitted_on_stand_ins_for_unreleased_scores():
    # Released scores fall with agreement; unreleased trials carry their submitter's best
    # as a stand-in (here the highest), which would turn the fit around if it counted.
    k = Knowledge()
    for i, agree in enumerate((0.70, 0.75, 0.80, 0.85, 0.90)):
        diag = {"agreement_with_weak_labels": agree, "predicted_class1_share": 0.5}
        k.add(Trial(str(i), {"lr": i}, "a1", diag, pgr=1.0 - agree))
    for i, agree in enumerate((0.91, 0.93, 0.95, 0.97, 0.99, 0.995, 0.999)):
        diag = {"agreement_with_weak_labels": agree, "predicted_class1_share": 0.5}
        k.add(Trial(f"u{i}", {"lr": 10 + i}, "a1", diag, pgr=0.3, released=False))
    low = k.proxy({"agreement_with_weak_labels": 0.72, "predicted_class1_share": 0.5})
    high = k.proxy({"agreement_with_weak_labels": 0.88, "predicted_class1_share": 0.5})
    assert low is not None and high is not None
    assert low == pytest.approx(0.28, abs=1e-6) and high == pytest.approx(0.12, abs=1e-6)


def test_a_narrowed_field_left_out_of_a_config_is_set_inside_its_range():
    # Left out, lr would take w2s's default (3e-3), outside "small learning rates".
    c = understand("focus on product with small learning rates").constraints
    lo, hi = c.ranges["lr"]
    config = apply_constraints({"method": "vanilla"}, c)
    assert config["loss"] == "product" and lo <= config["lr"] <= hi
    # A range on a field the config's method does not use adds nothing.
    narrow = Constraints(fixed={"method": "vanilla"}, ranges={"rounds": (2, 3)})
    assert "rounds" not in apply_constraints({}, narrow)

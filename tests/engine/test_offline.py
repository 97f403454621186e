"""The offline researcher's understanding of words and its search space."""

from __future__ import annotations

import random

from engine.brains.offline.knowledge import Knowledge, Trial
from engine.brains.offline.space import Constraints, apply_constraints, mutate, random_config
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
    parent = {"loss": "logconf", "lr": 5e-4}
    for _ in range(200):
        child, _changed = mutate(parent, rng, c, ("lr", "aux_coef"))
        assert child["loss"] == "logconf" and 1e-4 <= child.get("lr", 5e-4) <= 1e-3
        parse_method_config(child)
        parse_method_config(random_config({}, rng, Constraints()))


def test_the_proxy_learns_from_scored_trials():
    k = Knowledge()
    for i, agree in enumerate((0.70, 0.75, 0.80, 0.85, 0.90, 0.95)):
        diag = {"agreement_with_weak_labels": agree, "predicted_class1_share": 0.5}
        k.add(Trial(str(i), {"lr": i}, "a1", diag, pgr=1.0 - agree))
    low = k.proxy({"agreement_with_weak_labels": 0.72, "predicted_class1_share": 0.5})
    high = k.proxy({"agreement_with_weak_labels": 0.93, "predicted_class1_share": 0.5})
    assert low is not None and high is not None and low > high


def test_crossover_carries_another_familys_finding_into_mine():
    from engine.brains.offline.space import crossover

    rng = random.Random(3)
    mine = {"method": "vanilla", "loss": "logconf", "weight_decay": 0.0}
    other = {"method": "self_training", "loss": "xent", "weight_decay": 0.01}
    c = Constraints(fixed={"loss": "logconf"})
    children = [crossover(mine, other, rng, c)[0] for _ in range(50)]
    assert all(ch["loss"] == "logconf" for ch in children)
    assert any(ch["method"] == "self_training" for ch in children)


def test_a_narrowed_field_left_out_of_a_config_is_set_inside_its_range():
    # Left out, lr would take w2s's default (3e-3), outside "small learning rates".
    c = understand("focus on product with small learning rates").constraints
    lo, hi = c.ranges["lr"]
    config = apply_constraints({"method": "vanilla"}, c)
    assert config["loss"] == "product" and lo <= config["lr"] <= hi
    # A range on a field the config's method does not use adds nothing.
    narrow = Constraints(fixed={"method": "vanilla"}, ranges={"rounds": (2, 3)})
    assert "rounds" not in apply_constraints({}, narrow)

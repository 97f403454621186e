"""The offline researcher's model of the space (Optuna's TPE and successive halving) and
what it reads back from the forum."""

from __future__ import annotations

import pickle

from optuna.trial import TrialState

from engine.brains.offline.beliefs import Beliefs, encode
from engine.brains.offline.reading import config_block, lesson, result_trial
from engine.brains.offline.space import Constraints


def test_trials_told_from_elsewhere_pull_the_proposals_towards_them():
    beliefs = Beliefs(seed=1)
    # Other agents found that small learning rates pay, and large ones do not.
    for i in range(30):
        lr = 1e-4 * (1.25**i)
        beliefs.tell_known(f"sub-{i}", {"loss": "logconf", "lr": lr}, pgr=1.0 - 30 * lr)
    proposed = []
    for _ in range(12):
        number, config = beliefs.propose(Constraints())
        proposed.append(config["lr"])
        beliefs.drop(number)
    assert sorted(proposed)[len(proposed) // 2] < 2e-3  # the median proposal is a small lr


def test_a_trial_told_twice_counts_once():
    beliefs = Beliefs(seed=0)
    beliefs.tell_known("sub-1", {"lr": 1e-3}, 0.5)
    beliefs.tell_known("sub-1", {"lr": 1e-3}, 0.5)
    assert beliefs.known == 1


def test_successive_halving_promotes_only_the_top_screens():
    beliefs = Beliefs(seed=0)
    promoted = []
    for value in (0.1, 0.2, 0.3, 0.9, 0.05, 0.04, 0.03, 0.02, 0.01):
        number, _config = beliefs.propose(Constraints())
        promoted.append(beliefs.screened(number, value))
        if promoted[-1]:
            beliefs.finished(number, value, key=str(number))
    assert promoted[3]  # the best screen earns its full run
    assert sum(promoted) <= 5 and not all(promoted[4:])


def test_the_model_survives_a_checkpoint_but_a_trial_in_flight_is_asked_again():
    beliefs = Beliefs(seed=0)
    beliefs.tell_known("sub-1", {"lr": 1e-3}, 0.5)
    number, _ = beliefs.propose(Constraints())
    again = pickle.loads(pickle.dumps(beliefs))
    assert again.known == 1 and again.told == {"sub-1"}
    assert number not in again.open
    again.finished(number, 0.7, key="x")  # a trial lost in flight is ignored, not an error
    assert again.known == 1


def test_a_config_out_of_range_is_clipped_into_the_model():
    params, _ = encode({"lr": 5.0, "epochs": 50, "loss": "logconf"})
    assert params["lr"] == 3e-2 and params["epochs"] == 8 and "aux_coef" in params


def test_a_result_post_gives_back_its_config_and_score():
    config = {"loss": "logconf", "lr": 0.001}
    post = {
        "id": 7,
        "author": "a2",
        "body": "Public PGR 0.8\n\n" + config_block(config),
        "metrics": {"pgr": 0.8, "accuracy": 0.9},
        "submission_id": 3,
    }
    t = result_trial(post)
    assert t is not None and (t.key, t.config, t.pgr, t.post_id) == ("sub-3", config, 0.8, 7)
    assert result_trial({**post, "body": "no config here"}) is None


def test_an_insight_title_states_its_lesson():
    assert lesson("loss: logconf beats xent (mean PGR 0.700 vs 0.100)") == ("loss", "logconf")
    assert lesson("early_stopping: true beats false (mean PGR 0.7 vs 0.6)") == (
        "early_stopping",
        True,
    )
    assert lesson("colour: red beats blue") is None


def test_what_others_run_now_is_pending_in_the_model_until_it_stops():
    beliefs = Beliefs(seed=0)
    screen = {"loss": "logconf", "lr": 1e-3, "data_fraction": 0.25, "ensemble": 1}
    assert beliefs.in_flight([{"config": screen, "by": "a2"}])
    assert not beliefs.in_flight([{"config": screen, "by": "a2"}])  # told once
    (pending,) = beliefs.study.get_trials(states=(TrialState.RUNNING,))
    assert pending.params["lr"] == 1e-3 and "data_fraction" not in pending.params
    assert not beliefs.in_flight([])
    assert not beliefs.study.get_trials(states=(TrialState.RUNNING,))
    assert beliefs.known == 0  # a pending trial is no scored trial

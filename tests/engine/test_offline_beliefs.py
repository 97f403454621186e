"""The offline researcher's model of the space (Optuna's TPE and successive halving) and
what it reads back from the forum."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest
from optuna.trial import TrialState

from engine.brains.offline.beliefs import Beliefs, as_told, encode
from engine.brains.offline.knowledge import (
    Knowledge,
    Trial,
    expected_agreement,
    label_free_fit,
    read_baselines,
)
from engine.brains.offline.reading import (
    config_block,
    lesson,
    result_trial,
    verdict_release,
    verdict_told,
)
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


def test_a_student_of_the_concept_is_expected_to_disagree_with_the_weak_labels_where_they_err():
    # Weak labels right 2/3 of the time, a ceiling right 99%: they agree where both are
    # right or both wrong.
    assert expected_agreement(0.667, 0.989) == pytest.approx(0.989 * 0.667 + 0.011 * 0.333)
    text = '{"weak_accuracy_public": 0.667, "ceiling_accuracy_public": 0.989, "step": 0.023}'
    assert read_baselines(text) == (0.667, 0.989, expected_agreement(0.667, 0.989))
    for bad in (
        "",
        "[]",
        '{"weak_accuracy_public": 0.6}',
        '{"weak_accuracy_public": "x", "ceiling_accuracy_public": 1}',
        '{"weak_accuracy_public": 7, "ceiling_accuracy_public": 0.9}',
    ):
        assert read_baselines(bad) is None, bad


def test_unreleased_runs_are_told_apart_by_how_near_they_sit_to_a_student_of_the_concept():
    expected = expected_agreement(0.667, 0.989)
    concept = label_free_fit(
        {"agreement_with_weak_labels": 0.68, "predicted_class1_share": 0.5}, expected
    )
    imitates = label_free_fit(
        {"agreement_with_weak_labels": 0.93, "predicted_class1_share": 0.5}, expected
    )
    one_class = label_free_fit(
        {"agreement_with_weak_labels": 0.55, "predicted_class1_share": 0.97}, expected
    )
    assert (
        label_free_fit(
            {"agreement_with_weak_labels": float("nan"), "predicted_class1_share": 0.5}, expected
        )
        is None
    )
    assert label_free_fit({}, expected) is None
    told = [as_told(0.6, False, fit) for fit in (concept, imitates, one_class)]
    assert told == sorted(told, reverse=True) and len(set(told)) == 3
    # Still below the best it stands in for, and far above the step under it.
    assert all(0.57 <= t < 0.6 for t in told)  # type: ignore[operator]
    assert as_told(0.6, False) == 0.58 and as_told(0.6, True, one_class) == 0.6


def _diag(agree: float, share: float = 0.5) -> dict:
    return {"agreement_with_weak_labels": agree, "predicted_class1_share": share}


def test_once_released_scores_fit_the_proxy_it_orders_unreleased_runs_not_the_fixed_rule():
    # An instance where the runs that learnt most also agree most with the weak labels:
    # the fixed rule, which favours agreement near a ceiling-accurate student's, ranks them
    # the wrong way round; the scores the Ladder released show which way it goes here.
    expected = expected_agreement(0.713, 0.966)  # about 0.70
    good, nuisance = _diag(0.83), _diag(0.68)
    k = Knowledge()
    before = [k.stand_in(d, 0.45, expected) for d in (good, nuisance)]
    assert before[0] < before[1] and all(0.42 <= t < 0.44 for t in before)
    assert k.stand_in(good, 0.45, None) == as_told(0.45, False) == 0.43
    # Four of this agent's releases and one of another's, read from a registry verdict.
    for i, (agree, pgr) in enumerate(((0.42, -1.09), (0.5, -0.64), (0.6, -0.27), (0.76, 0.18))):
        k.add(Trial(digest=f"d{i}", config={}, by="a1", diagnostics=_diag(agree), pgr=pgr))
    # An unreleased run's score is a stand-in: never a point for the proxy.
    k.add(Trial("u", {}, "a1", _diag(0.3, 0.9), pgr=0.18, released=False))
    assert k.stand_in(good, 0.45, expected) == before[0]
    v = {"submission_id": 9, "released": {"pgr": 0.455}, "diagnostics": _diag(0.84), "flags": []}
    assert verdict_release({**v, "flags": ["degenerate"]}) is None
    assert verdict_release({**v, "released": None, "held": {"pgr": 0.455}}) is None
    k.add_release(*verdict_release(v))  # type: ignore[misc]
    after = [k.stand_in(d, 0.45, expected) for d in (good, nuisance)]
    assert after[0] > after[1]
    # Past the most-agreeing release the proxy does not extrapolate its rise: a run that
    # imitates the weak supervisor more closely than any released one looks worse, not best.
    imitates = k.stand_in(_diag(0.95), 0.45, expected)
    assert imitates < after[1] < after[0]
    # However well a run looks, it is told below the best it stands in for.
    assert after[0] <= 0.44
    # And a run that looks like the worst release is told about that release's score, far
    # below the best: not in a band just under it, where it would outrank every released
    # run of the other agents and fill their models' good groups.
    worst = k.stand_in(_diag(0.42), 0.45, expected)
    assert worst == pytest.approx(k.proxy(_diag(0.42))) and worst < -0.5  # type: ignore[arg-type]
    assert as_told(0.45, False, predicted=0.9) == 0.44
    # Another agent's unreleased run, read from a registry verdict, is told the same way.
    verdict = {"submission_id": 3, "config": {"lr": 1e-3}, "held": {"pgr": 0.45}, "flags": []}
    verdict["diagnostics"] = _diag(0.42)
    placed = verdict_told(verdict, lambda d, held: k.stand_in(d, held, expected))
    assert placed == ("sub-3", {"lr": 1e-3}, worst)
    assert verdict_told(verdict) == ("sub-3", {"lr": 1e-3}, 0.43)


async def test_a_screen_is_ranked_by_the_proxy_and_never_submitted():
    # The Ladder keeps each agent's best release: a quarter-data screen released by luck
    # would raise the bar for every later full run of the agent. So a screen is told the
    # proxy's prediction from its diagnostics, and the pruner keeps its top third.
    from engine.brains.offline.posting import Candidate
    from engine.brains.offline.researcher import OfflineResearcher

    calls: list[str] = []

    async def call(tool: str, _input: dict) -> None:
        calls.append(tool)

    ctx = SimpleNamespace(say=lambda _text: None, tools=SimpleNamespace(call=call))
    brain = OfflineResearcher(direction="tuning", seed=0)

    async def judge(agree: float) -> bool:
        number, config = brain.beliefs.propose(Constraints())
        trial = Trial(f"s{number}", config, "a1", _diag(agree), predictions="p.json")
        brain.current = Candidate(number, config, None, [], "a test", trial=trial)
        brain.queue.clear()
        await brain._judge(ctx)  # type: ignore[arg-type]
        return brain.current is not None and brain.current.stage == "full"

    # With no proxy yet, every screen earns its full run: nothing ranks it.
    assert await judge(0.3) and await judge(0.95)
    for i, (agree, pgr) in enumerate(((0.42, -1.09), (0.5, -0.64), (0.6, -0.27), (0.7, 0.1))):
        brain.knowledge.add(Trial(f"d{i}", {}, "a1", _diag(agree), pgr=pgr))
    brain.knowledge.add(Trial("d4", {}, "a1", _diag(0.76), pgr=0.18))
    agreements = [0.74, 0.45, 0.76, 0.43, 0.5, 0.75, 0.44, 0.42, 0.48, 0.73, 0.46, 0.47]
    promoted = [await judge(a) for a in agreements]
    assert calls == []  # no screen was submitted, nor anything else asked of the tools
    # The first screen the proxy ranks is promoted, alone at its rung; after it, the ones
    # predicted near the best release are, and none predicted near the worst.
    assert promoted[0] and promoted[2] and promoted[5]
    assert not any(p for p, a in zip(promoted[1:], agreements[1:], strict=True) if a <= 0.45)
    assert sum(promoted) <= len(promoted) // 2


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

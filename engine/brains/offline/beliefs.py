"""The offline researcher's model of the method space: Optuna's TPE, told every scored trial
the swarm knows, with successive halving over two fidelities.

A proposal is screened first on a share of the data with one ensemble member (SCREEN); the
pruner promotes to the full run only what ranks in the top third of the screens at that
rung, each screen told at the proxy's prediction from its diagnostics (never submitted).
Trials read elsewhere (the registry, the leaderboard, the forum) are told to the model as
finished trials, so every agent's experiment shapes every agent's next proposal; and the
experiments others are running now are told as pending (TPE's constant liar), so four agents
do not propose the same region at once.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from engine.brains.offline.space import DIMS, Constraints, Dim, apply_constraints

# The cheap fidelity: a quarter of train_unlabel and one ensemble member. It ranks random
# configs against their full runs only loosely (Spearman 0.41 over three fresh toy-v2
# instances, half of the data 0.65: bench/screen_fidelity.py), yet a half-data screen did
# worse in bench/engine_research.py (private PGR 0.596 against 0.620 at 100 experiments,
# five instances): it costs twice the budget, and a quarter still weeds out the configs
# that fail outright, leaving more full runs.
SCREEN = {"data_fraction": 0.25, "ensemble": 1}
SCREEN_STEP, FULL_STEP = 1, 4  # resources, in quarters of the data
STARTUP = 6  # trials known before TPE's model replaces random draws
# A score the Ladder released nothing for is told as a little below the best released: it
# did not beat the best by a step, yet may be as good as it, and every earlier release sat
# a whole step lower. Told at the best itself, every unreleased run would tie the top,
# and TPE's good group would fill with ties.
UNRELEASED_BELOW = 0.02
# Before released scores fit the proxy, a label-free fit (`knowledge.label_free_fit`) orders
# unreleased runs within UNRELEASED_BAND below the best: no longer all tied, so TPE's good
# group holds the runs that look right, not the first ones told. Once the proxy predicts
# PGR, an unreleased run is told that prediction, capped at the band's top: the Ladder said
# only that it is no step above the best, and in a band a run predicted far below the best
# still sat above every other agent's released runs, so the leader's every run filled each
# agent's good group and the swarm herded to it.
UNRELEASED_BAND = (0.03, 0.01)
FIT_SCALE = 0.1

optuna.logging.set_verbosity(optuna.logging.WARNING)


def distribution(dim: Dim) -> FloatDistribution | IntDistribution | CategoricalDistribution:
    """The full search range of a field (narrowed ranges are applied when sampling)."""
    if dim.kind == "log":
        return FloatDistribution(dim.low, dim.high, log=True)
    if dim.kind == "float":
        return FloatDistribution(dim.low, dim.high)
    if dim.kind == "int":
        return IntDistribution(int(dim.low), int(dim.high))
    if dim.kind == "bool":
        return CategoricalDistribution((False, True))
    return CategoricalDistribution(dim.choices)


def encode(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
    """The searched fields of `config`, clipped into their ranges, with their distributions."""
    from w2s.methods.config import FIELD_BY_NAME

    params: dict[str, Any] = {}
    dists: dict[str, BaseDistribution] = {}
    for dim in DIMS.values():
        if not dim.applies(config):
            continue
        value = config.get(dim.name, FIELD_BY_NAME[dim.name].default)
        dist = distribution(dim)
        if value is None:
            continue
        if isinstance(dist, CategoricalDistribution):
            if value not in dist.choices:
                continue
        else:
            value = min(dist.high, max(dist.low, value))
            value = round(value) if isinstance(dist, IntDistribution) else float(value)
        params[dim.name], dists[dim.name] = value, dist
    return params, dists


def _study(seed: int) -> optuna.Study:
    with warnings.catch_warnings():
        # multivariate and group are marked experimental; they model the conditional fields.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=STARTUP, multivariate=True, group=True, constant_liar=True
        )
    pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=SCREEN_STEP, reduction_factor=3)
    return optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)


def as_told(
    pgr: float | None,
    released: bool,
    fit: float | None = None,
    *,
    predicted: float | None = None,
) -> float | None:
    """The value the model is told for a public PGR, released or the best standing in. An
    unreleased one is told the proxy's `predicted` PGR where there is one, capped below the
    best it stands in for; else, with a label-free `fit` (higher is better, 0 where it looks
    as good as the best it stands in for), it is placed by it within the band, on a
    logistic curve."""
    if pgr is None or released:
        return pgr
    if predicted is not None:
        # Finely rounded: only the order matters to TPE and the pruner, and it must survive.
        return round(min(predicted, pgr - UNRELEASED_BAND[1]), 9)
    if fit is None:
        return round(pgr - UNRELEASED_BELOW, 3)
    low, high = UNRELEASED_BAND
    share = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, fit / FIT_SCALE))))
    return round(pgr - low + (low - high) * share, 9)


class Beliefs:
    """What the researcher believes about the space, as a TPE study. Picklable: the study is
    rebuilt from its finished trials (a trial in flight is dropped and asked again)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.study = _study(seed)
        self.told: set[str] = set()
        self.open: dict[int, optuna.Trial] = {}
        self.pending: dict[str, int] = {}  # an in-flight experiment of others -> its trial

    def __getstate__(self) -> dict[str, Any]:
        done = [t for t in self.study.get_trials(deepcopy=False) if t.state.is_finished()]
        return {"seed": self.seed, "told": self.told, "trials": done}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.seed, self.told = state["seed"], state["told"]
        self.study = _study(self.seed)
        self.study.add_trials(state["trials"])
        self.open, self.pending = {}, {}

    @property
    def known(self) -> int:
        return len(self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    def tell_known(self, key: str, config: dict[str, Any], pgr: float) -> None:
        """A scored trial read elsewhere (once per key: a digest or a submission)."""
        if key in self.told:
            return
        self.told.add(key)
        params, dists = encode(config)
        self.study.add_trial(
            optuna.trial.create_trial(params=params, distributions=dists, value=float(pgr))
        )

    def in_flight(self, running: list[dict[str, Any]]) -> bool:
        """Tell the model what others are running now (full-fidelity params of each config);
        those no longer running are let go. True when something new was told."""
        now: dict[str, dict[str, Any]] = {}
        for r in running:
            config = {k: v for k, v in r["config"].items() if k not in SCREEN}
            now[json.dumps(config, sort_keys=True, default=str)] = config
        for key in [k for k in self.pending if k not in now]:
            # Its score, if any, comes back as a known trial when it is read.
            self.study.tell(self.pending.pop(key), state=TrialState.FAIL)
        new = [k for k in now if k not in self.pending]
        for key in new:
            params, dists = encode(now[key])
            self.study.add_trial(
                optuna.trial.create_trial(
                    params=params, distributions=dists, state=TrialState.RUNNING
                )
            )
            self.pending[key] = len(self.study.get_trials(deepcopy=False)) - 1
        return bool(new)

    def propose(self, c: Constraints) -> tuple[int, dict[str, Any]]:
        """A trial number and the full-fidelity config TPE proposes within `c`."""
        trial = self.study.ask()
        config: dict[str, Any] = {}
        for dim in DIMS.values():
            if dim.name in c.fixed:
                config[dim.name] = c.fixed[dim.name]
                continue
            if not dim.applies(config):
                continue
            config[dim.name] = _suggest(trial, dim, c)
        self.open[trial.number] = trial
        return trial.number, apply_constraints(config, c)

    def enqueue(self, config: dict[str, Any]) -> None:
        """Ask for `config` next (what another agent's insight points to)."""
        self.study.enqueue_trial(encode(config)[0], skip_if_exists=True)

    def screened(self, number: int, pgr: float) -> bool:
        """Record a screen's score; True when successive halving promotes it to the full run."""
        trial = self.open.get(number)
        if trial is None:
            return True
        trial.report(pgr, SCREEN_STEP)
        if trial.should_prune():
            self.study.tell(trial, state=TrialState.PRUNED)
            del self.open[number]
            return False
        return True

    def finished(self, number: int, pgr: float | None, key: str) -> None:
        """The full run's score (None: it could not be scored)."""
        trial = self.open.pop(number, None)
        if trial is None:
            return
        if pgr is None:
            self.study.tell(trial, state=TrialState.FAIL)
            return
        trial.report(pgr, FULL_STEP)
        self.study.tell(trial, pgr)
        self.told.add(key)

    def drop(self, number: int) -> None:
        trial = self.open.pop(number, None)
        if trial is not None:
            self.study.tell(trial, state=TrialState.FAIL)


def _suggest(trial: optuna.Trial, dim: Dim, c: Constraints) -> Any:
    dist = distribution(dim)
    if isinstance(dist, CategoricalDistribution):
        # A categorical's choices must stay the same across trials; a narrowed range is
        # applied afterwards by apply_constraints.
        return trial.suggest_categorical(dim.name, dist.choices)
    lo, hi = c.ranges.get(dim.name, (dist.low, dist.high))
    lo, hi = max(lo, dist.low), min(hi, dist.high)
    if isinstance(dist, IntDistribution):
        lo_i, hi_i = round(lo), max(round(lo), round(hi))
        return trial.suggest_int(dim.name, lo_i, hi_i)
    value = trial.suggest_float(dim.name, lo, max(lo, hi), log=dist.log)
    return float(f"{value:.3g}")

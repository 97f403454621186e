"""The offline researcher spends experiments well: it reads what others found into its
model, screens cheaply before a full run, and never posts a hypothesis that changes
nothing."""

from __future__ import annotations

import asyncio
import json
import re
from types import SimpleNamespace

import pytest

from engine.brain import StepContext, StepOutcome
from engine.brains.offline.beliefs import STARTUP, as_told
from engine.brains.offline.knowledge import Trial, label_free_fit, read_baselines
from engine.brains.offline.posting import Candidate
from engine.brains.offline.researcher import OfflineResearcher
from tests.engine.harness import running, until

pytestmark = pytest.mark.slow

OTHERS = {"loss": "logconf", "lr": 0.002, "epochs": 3}


async def _another_agents_result(engine, tmp_path) -> int:
    """A result of agent a9's on the forum, with a real submission behind it."""
    from engine.brains.offline.reading import config_block
    from w2s.runner import run

    cfg, out = tmp_path / "cfg.json", tmp_path / "preds.json"
    cfg.write_text(json.dumps(OTHERS))
    run(engine.task.bundle_dir, cfg, out)
    from w2s.methods import parse_method_config

    # Its recipe is its config, as for a file from run_experiment: a result must reproduce.
    recipe = {"kind": "config", "digest": parse_method_config(OTHERS).digest(), "config": OTHERS}
    outcome = await engine.scorer.submit(
        "a9", out.read_bytes(), method=json.dumps(OTHERS), recipe=recipe
    )
    post = await engine.forum.post(
        "a9",
        "result",
        f"PGR {outcome.public.pgr}: logconf",
        "My best.\n\n" + config_block(OTHERS),
        metrics={"pgr": outcome.public.pgr, "accuracy": outcome.public.accuracy},
        submission_id=outcome.submission_id,
    )
    await engine.forum.post(
        "a9", "insight", "epochs: 3 beats 1 (mean PGR 0.700 vs 0.500)", "From 6 experiments."
    )
    return post.id


async def test_it_reads_others_results_screens_first_and_promotes_by_halving(open_engine, tmp_path):
    engine = await open_engine(agents={"count": 1, "directions": ["logconf"]})
    post_id = await _another_agents_result(engine, tmp_path)
    seen: list = []
    engine.events.on_commit.append(seen.extend)

    def said() -> str:
        return "".join(e.payload.text for e in seen if e.kind == "text_delta")

    async with running(engine):
        await until(
            lambda: sum(e.kind == "experiment_finished" for e in seen) >= 3, 240, "experiments"
        )
        records = await engine.registry.list()
    # The other agent's result became a trial of its model, and its insight a plan.
    assert "I told my model 1 scored trials of others" in said()
    assert "epochs=3 does best; I will test it" in said()
    started = [e.payload.config for e in seen if e.kind == "experiment_started"]
    # Every proposal is screened on a quarter of the data with one member before any full run.
    assert started[0]["data_fraction"] == 0.25 and started[0]["ensemble"] == 1

    # The first screen has no rival at its rung, so halving promotes it: the same config in full.
    def rest(config: dict) -> dict:
        return {k: v for k, v in config.items() if k not in ("data_fraction", "ensemble")}

    assert started[1]["data_fraction"] == 1.0 and rest(started[1]) == rest(started[0])
    # The registry records each fidelity it ran.
    fidelities = {r.config.get("data_fraction", 1.0) for r in records}
    assert 0.25 in fidelities
    # A screen is ranked by the proxy, never submitted: the Ladder keeps each agent's best
    # release, and a quarter-data screen released by luck would raise the bar for its full
    # runs. The full run is submitted.
    screens = {
        e.payload.digest
        for e in seen
        if e.kind == "experiment_started" and e.payload.config["data_fraction"] < 1.0
    }
    submitted = {e.payload.experiment_digest for e in seen if e.kind == "submission"}
    assert screens and submitted and not submitted & screens, (screens, submitted)
    for e in seen:
        if e.kind == "forum_post" and e.payload.post.kind == "hypothesis":
            # "epochs 1 -> 1" is not a hypothesis.
            for before, after in re.findall(r"(\S+) -> (\S+?)[,)]", e.payload.post.title):
                assert before != after, e.payload.post.title
            if e.payload.post.parent_id is not None:
                assert e.payload.post.parent_id == post_id


class _Insightful(OfflineResearcher):
    """The researcher at the moment it considers an insight, over scored trials the test
    gives it: step 1 with one lesson known, step 2 with a second one."""

    def __init__(self) -> None:
        super().__init__(direction="tuning", seed=0)
        for i, (loss, pgr) in enumerate((("logconf", 0.7), ("logconf", 0.7), ("xent", 0.1))):
            self.knowledge.add(Trial(f"t{i}", {"loss": loss}, "a1", {}, pgr=pgr))
        self.considered = 0

    async def step(self, ctx: StepContext) -> StepOutcome:
        self.agent_id = ctx.agent_id
        if self.considered == 1:
            for i, labels in enumerate(("hard", "soft")):
                config = {"loss": "logconf", "labels": labels}
                self.knowledge.add(Trial(f"l{i}", config, "a1", {}, pgr=0.9 - 0.3 * i))
        if self.considered < 2:
            await self._post_insight(ctx)
            self.considered += 1
        else:
            await asyncio.sleep(0.05)
        return StepOutcome(progress=True)


async def test_an_insight_the_forum_already_states_is_not_posted_again(open_engine):
    brain = _Insightful()
    engine = await open_engine(lambda *_: brain, agents={"count": 1})
    await engine.forum.post(
        "a9", "insight", "loss: logconf beats xent (mean PGR 0.700 vs 0.100)", "From 3 runs."
    )
    async with running(engine):
        await until(lambda: brain.considered >= 2, 60, "two considerations")
        mine = [p for p in await engine.forum.list(kind="insight") if p.author == "a1"]
    # The lesson on loss was on the forum already; the one on labels was not.
    assert [p.title.split(":")[0] for p in mine] == ["labels"]


class _NewBest(OfflineResearcher):
    """The researcher holding a new best of its own, a real experiment it ran and submitted:
    it reproduces it over seeds, and posts the result only then."""

    def __init__(self) -> None:
        super().__init__(direction="logconf", seed=0)
        self.posted = False

    async def step(self, ctx: StepContext) -> StepOutcome:
        self.agent_id = ctx.agent_id
        if self.posted:
            await asyncio.sleep(0.05)
            return StepOutcome(progress=True)
        res = await ctx.tools.call("run_experiment", {"config": {"loss": "logconf", "epochs": 2}})
        d = res.data
        trial = self.knowledge.add(
            Trial(d["digest"], d["config"], ctx.agent_id, {}, predictions=d["predictions"])
        )
        await self._score(ctx, trial)
        # Below any score: whatever the run scored is a new best.
        cur = Candidate(0, d["config"], None, [], "a test", "full", trial, previous_best=-9.0)
        await self._reproduce_and_post(ctx, cur)
        self.posted = True
        return StepOutcome(progress=True)


async def test_a_new_best_is_reproduced_over_five_seeds_before_its_result_is_posted(
    open_engine,
):
    brain = _NewBest()
    engine = await open_engine(lambda *_: brain, agents={"count": 1})
    async with running(engine):
        await until(lambda: brain.posted, 300, "the result")
        records = [r for r in await engine.registry.list() if r.status == "finished"]
        results = await engine.forum.list(kind="result")
    # The run itself and four more, each seed redrawing the data side too.
    assert len(records) == 5
    assert sorted(r.config.get("data_seed") for r in records if r.config["seed"]) == [1, 2, 3, 4]
    assert {
        json.dumps({k: v for k, v in r.config.items() if k not in ("seed", "data_seed")})
        for r in records
    } == {
        json.dumps({k: v for k, v in records[0].config.items() if k not in ("seed", "data_seed")})
    }
    [post] = results
    assert post.author == "a1" and post.submission_id is not None
    assert "pgr_seed_mean" in post.metrics and "Reproduced over 5 seeds" in post.body


class _NotAheadOfTheForum(_NewBest):
    """A new best of its own, yet within a Ladder step of another agent's best: it spends
    no seeds on it and posts no result."""

    async def step(self, ctx: StepContext) -> StepOutcome:
        self.agent_id = ctx.agent_id
        if self.posted:
            await asyncio.sleep(0.05)
            return StepOutcome(progress=True)
        res = await ctx.tools.call("run_experiment", {"config": {"loss": "logconf", "epochs": 2}})
        d = res.data
        trial = self.knowledge.add(
            Trial(d["digest"], d["config"], ctx.agent_id, {}, predictions=d["predictions"])
        )
        pgr = await self._score(ctx, trial)
        assert pgr is not None and trial.released
        self.knowledge.add(Trial("lb-other", {"lr": 1e-3}, "a9", {}, pgr=pgr, accuracy=0.7))
        for i in range(STARTUP):  # past the model's random start-up, so only the step stops it
            self.beliefs.tell_known(f"k{i}", {"lr": 1e-3 * (i + 1)}, 0.1)
        self.current = Candidate(0, d["config"], None, [], "a test", "full", trial, -9.0)
        await self._report(ctx)
        self.posted = True
        return StepOutcome(progress=True)


async def test_a_best_within_a_ladder_step_of_the_forum_s_is_not_reproduced(open_engine):
    brain = _NotAheadOfTheForum()
    engine = await open_engine(lambda *_: brain, agents={"count": 1})
    async with running(engine):
        await until(lambda: brain.posted, 300, "the report")
        records = [r for r in await engine.registry.list() if r.status == "finished"]
        results = await engine.forum.list(kind="result")
    assert len(records) == 1 and results == []


async def test_it_tells_its_model_others_full_runs_from_the_registry_released_or_not(
    open_engine,
):
    # The leaderboard shows only what the Ladder released; most of a swarm's runs earn no
    # release, and the registry's verdicts tell those too: a little below the best held.
    brain = OfflineResearcher(direction="logconf", seed=0)
    engine = await open_engine(lambda *_: brain, agents={"count": 1})
    sandbox = await engine.swarm.make_sandbox("a9")
    box = engine.swarm.make_toolbox(SimpleNamespace(id="a9"), sandbox)
    subs, diagnostics = {}, {}
    for name, config in (
        ("good", OTHERS),
        ("weak", {"epochs": 1, "lr": 1e-4}),
        ("screen", {"epochs": 2, "data_fraction": 0.25, "ensemble": 1}),
    ):
        ran = await box.call("run_experiment", {"config": config})
        assert ran.ok, ran.output
        sub = await box.call("submit", {"path": ran.data["predictions"]})
        assert sub.ok and sub.data["scored"], sub.output
        subs[name], diagnostics[name] = sub.data, ran.data["diagnostics"]
    await sandbox.stop()
    await sandbox.remove()
    assert subs["good"]["public"] is not None
    assert subs["weak"]["public"] is None, "an under-trained run beat a logconf one by a step"
    seen: list = []
    engine.events.on_commit.append(seen.extend)
    async with running(engine):
        await until(
            lambda: f"sub-{subs['weak']['submission_id']}" in brain.beliefs.told,
            240,
            "the verdicts read",
        )
    said = "".join(e.payload.text for e in seen if e.kind == "text_delta")
    assert "full runs of others, read from the registry" in said
    # The screen is of a cheaper fidelity: never told as a full run.
    assert f"sub-{subs['screen']['submission_id']}" not in brain.beliefs.told
    held = subs["good"]["public"]["pgr"]
    values = [
        t.value for t in brain.beliefs.study.get_trials(deepcopy=False) if t.value is not None
    ]
    assert held in values
    # The released run is a point for the proxy, with its run's diagnostics from the registry.
    good = brain.knowledge.releases[f"sub-{subs['good']['submission_id']}"]
    assert good == (diagnostics["good"], held)
    # The unreleased run is placed below the best held by how near its agreement with the
    # weak labels sits to a student of the concept's, read from the bundle's baselines.
    assert "agrees with the weak labels about" in said
    expected = read_baselines((engine.task.bundle_dir / "baselines.json").read_text())
    assert expected is not None and brain.expected == expected[2]
    fit = label_free_fit(diagnostics["weak"], expected[2])
    assert fit is not None and as_told(held, False, fit) in values

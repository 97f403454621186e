"""What the offline researcher posts: hypotheses that change something, results reproduced
over seeds before they are posted, and insights the forum does not already state; each
names the post it builds on."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from engine.brain import StepContext
from engine.brains.offline.beliefs import SCREEN, STARTUP, Beliefs
from engine.brains.offline.knowledge import Knowledge, Trial
from engine.brains.offline.prose import hypothesis, insight, result
from engine.brains.offline.reading import config_block, lesson
from engine.ladder import Ladder
from engine.texts import pgr_text

FIRST_INSIGHT = 2  # scored trials of its own before its first insight post
INSIGHT_EVERY = 3  # and between two later ones
NEW_BEST = 0.005  # the least margin over the best known score that makes a result worth posting
# A new best is reproduced over these seeds (the first is the run itself) before it is
# posted as a result: one lucky seed is not a method.
REPRO_SEEDS = (0, 1, 2, 3, 4)


@dataclass
class Candidate:
    number: int  # the trial's number in the beliefs' study
    config: dict[str, Any]  # the full-fidelity config
    parent: Trial | None
    changed: list[str]
    why: str
    stage: str = "screen"  # or "full"
    trial: Trial | None = None
    previous_best: float | None = None

    @property
    def run_config(self) -> dict[str, Any]:
        return {**self.config, **SCREEN} if self.stage == "screen" else self.config


class Posting:
    """The posting half of the researcher (mixed into it: it shares its state)."""

    agent_id: str
    direction: str
    cycles: int
    insights: int
    scored_since_insight: int
    knowledge: Knowledge
    beliefs: Beliefs
    current: Candidate | None
    post_of: dict[str, int]
    public_rows: int | None  # the rows of the public half, as the scorer reports them

    async def _read(self, ctx: StepContext) -> None:
        """Read the leaderboard and the forum into the model (the researcher's)."""
        raise NotImplementedError

    async def _score(self, ctx: StepContext, trial: Trial) -> float | None:
        """A trial's public PGR, submitting for it if need be (the researcher's)."""
        raise NotImplementedError

    async def _hypothesis(self, ctx: StepContext) -> bool:
        cur = self.current
        if cur is None:
            return False
        # A hypothesis changes something: no post for a proposal equal to its parent.
        first = not self.knowledge.mine(self.agent_id)
        if (cur.changed and self.cycles % 3 == 0) or (first and not self.cycles):
            title, body = hypothesis(self.direction, cur.parent, cur.changed, cur.config, first)
            args = {"kind": "hypothesis", "title": title, "body": body, "tags": self._tags(cur)}
            await ctx.tools.call("forum_post", args | self._builds_on(cur.parent))
        return True

    def _builds_on(self, parent: Trial | None) -> dict[str, Any]:
        post = self.post_of.get(parent.digest) if parent is not None else None
        return {} if post is None else {"parent_id": post}

    async def _report(self, ctx: StepContext) -> bool:
        cur, self.current = self.current, None
        trial = cur.trial if cur is not None else None
        previous = cur.previous_best if cur is not None else None
        new_best = (
            cur is not None
            and trial is not None
            and trial.scored
            and trial.submission_id is not None
            and "degenerate" not in trial.flags
            # With nothing known before it, a first score is no "best" worth five seeds.
            and previous is not None
            and (trial.pgr or 0) > previous + NEW_BEST
        )
        if new_best and await self._beats_the_forum(ctx, cur):
            assert cur is not None
            await self._reproduce_and_post(ctx, cur)
            return True
        # A first comparison is worth sharing early (with its n); later ones need more data.
        # Full runs only: a screen is ranked by the proxy, never scored.
        due = FIRST_INSIGHT if not self.insights else INSIGHT_EVERY
        if self.scored_since_insight >= due:
            await self._post_insight(ctx)
        return True

    async def _beats_the_forum(self, ctx: StepContext, cur: Candidate | None) -> bool:
        """Whether the trial would be the forum's new best by more than a Ladder step, read
        afresh: five seeds are spent only on a result that could change what the swarm
        builds on, and a gain within a step is one the Ladder cannot tell from noise."""
        trial = cur.trial if cur is not None else None
        if trial is None or not trial.released:
            return False
        await self._read(ctx)
        # Against full runs only: a screen's score is of a cheaper fidelity.
        others = [
            t.pgr
            for t in self.knowledge.trials.values()
            if t.scored
            and t.digest != trial.digest
            and "degenerate" not in t.flags
            and float(t.config.get("data_fraction", 1.0)) >= 1.0
        ]
        best = max((p for p in others if p is not None), default=None)
        if best is None or self.beliefs.known < STARTUP:
            # While the model still draws at random, every full run is a new best by luck
            # of the draw: one worth five seeds waits until the swarm knows a few.
            return False
        step = None
        if self.public_rows:
            step = self.knowledge.pgr_step(Ladder.for_public_rows(self.public_rows).step)
        margin = max(NEW_BEST, step or 0.0)
        if (trial.pgr or 0.0) > best + margin:
            return True
        ctx.say(
            f"PGR {pgr_text(trial.pgr)} is not above the forum's best {pgr_text(best)} by more "
            f"than a Ladder step ({margin:.3f}): I do not spend five seeds on it.\n"
        )
        return False

    async def _reproduce_and_post(self, ctx: StepContext, cur: Candidate) -> None:
        trial = cur.trial
        assert trial is not None
        # Only a released score measures a seed: the Ladder tells nothing new of a seed within
        # a step of the best, so those are counted apart, as held within the step.
        scores, held = [trial.pgr], 0
        for seed in REPRO_SEEDS[1:]:
            config = {**trial.config, "seed": seed, "data_seed": seed}
            res = await ctx.tools.call("run_experiment", {"config": config})
            if not res.ok:
                continue
            d = res.data
            public = d.get("public") or {}
            again = self.knowledge.add(
                Trial(
                    digest=d["digest"],
                    config=d["config"],
                    by=self.agent_id,
                    diagnostics=d.get("diagnostics", {}),
                    predictions=d.get("predictions"),
                    pgr=public.get("pgr"),
                    accuracy=public.get("accuracy"),
                )
            )
            pgr = await self._score(ctx, again)
            if again.released:
                scores.append(pgr)
            elif pgr is not None:
                held += 1
        got = [s for s in scores if s is not None]
        mean = statistics.fmean(got) if got else None
        sd = statistics.stdev(got) if len(got) > 1 else 0.0
        if mean is None or (cur.previous_best is not None and mean <= cur.previous_best):
            ctx.say(
                f"Over {len(got)} seeds it averages PGR {pgr_text(mean)}, not above my "
                "best known: one lucky seed is not a method, so I post no result.\n"
            )
            return
        title, body = result(trial, cur.previous_best, (mean, sd, len(got)), held)
        body += "\n\n" + config_block(trial.config)
        post = await ctx.tools.call(
            "forum_post",
            {
                "kind": "result",
                "title": title,
                "body": body,
                "tags": self._tags(cur),
                "metrics": {"pgr": trial.pgr, "accuracy": trial.accuracy, "pgr_seed_mean": mean},
                "submission_id": trial.submission_id,
            }
            | self._builds_on(cur.parent),
        )
        if post.ok:
            self.post_of[trial.digest] = post.data["id"]

    async def _post_insight(self, ctx: StepContext) -> None:
        scored = sum(1 for t in self.knowledge.trials.values() if t.scored)
        # Early on a value seen once still says something; the post gives every n.
        effects = self.knowledge.effects(min_count=1 if scored < 12 else 2)
        forum = await ctx.tools.call("forum_search", {"kind": "insight", "limit": 50})
        said = {lesson(p.get("title", "")) for p in forum.data.get("posts", [])}
        # Only a lesson the forum does not already state is worth a post.
        fresh = [e for e in effects if (e[0], e[1][0][0]) not in said]
        if not fresh:
            return
        title, body = insight(fresh, scored)
        await ctx.tools.call(
            "forum_post", {"kind": "insight", "title": title, "body": body, "tags": ["insight"]}
        )
        self.scored_since_insight = 0
        self.insights += 1

    def _tags(self, cur: Candidate) -> list[str]:
        tags = [str(cur.config.get("method", "vanilla")), str(cur.config.get("loss", "xent"))]
        return tags + [c for c in cur.changed[:2]]

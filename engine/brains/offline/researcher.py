"""The offline researcher: a real search policy over the w2s method space, no model behind it.

Each step is one action through the same tools a model gets. A cycle: propose a config
(mutate the best trial it knows, its own or another agent's, within its direction; now
and then explore at random), check the registry so it never reruns what anyone ran,
post a hypothesis, run the experiment, judge the diagnostics with a proxy fitted on
scored trials, submit when the proxy says it is worth a submission, then post a result
(a new best, linked to its submission) or an insight (what the scored trials say about
each field). A redirect in plain words narrows the search; it answers with what it
understood and what it did not.
"""

from __future__ import annotations

import json
import pickle
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine.brain import Brain, Message, StepContext, StepOutcome
from engine.brains.offline.family import family_of
from engine.brains.offline.knowledge import Knowledge, Trial
from engine.brains.offline.prose import (
    diagnostics_text,
    failure,
    hypothesis,
    insight,
    last_lines,
    result,
)
from engine.brains.offline.space import (
    FOCUS,
    Constraints,
    apply_constraints,
    crossover,
    mutate,
    random_config,
)
from engine.brains.offline.understanding import understand
from engine.texts import config_text, pgr_text

Action = Callable[[StepContext], Awaitable[bool]]

EXPLORE = 0.15  # share of proposals drawn at random rather than mutated
ADOPT = 0.3  # share of proposals built on another agent's better trial
CROSS = 0.25  # share of proposals that combine my best with another agent's best
FIRST_INSIGHT = 2  # scored trials of its own before its first insight post
INSIGHT_EVERY = 3  # and between two later ones
RATE_BACKOFF = 300.0
# After this many scored trials of its own, an agent whose family trails another agent's
# best by DRIFT_GAP drops its family's pin and builds on that best (the direction was a
# starting point, not a cage; a supervisor's redirect stays binding).
DRIFT_AFTER = 5
DRIFT_GAP = 0.05


@dataclass
class Candidate:
    config: dict[str, Any]
    parent: Trial | None
    changed: list[str]
    why: str
    digest: str = ""
    trial: Trial | None = None
    previous_best: float | None = None


class OfflineResearcher(Brain):
    name = "offline"

    def __init__(self, *, direction: str, seed: int = 0) -> None:
        self.direction = direction
        self.rng = random.Random(seed)
        self.family, self.focus = family_of(direction)
        self.redirected = Constraints()
        self.knowledge = Knowledge()
        self.queue: deque[Action] = deque()
        self.current: Candidate | None = None
        self.heard: set[tuple[float, str]] = set()
        self.submit_blocked_until = 0.0
        self.scored_since_insight = 0
        self.failures = 0
        self.oriented = False
        self.cycles = 0
        self.agent_id = ""
        self.drifted = False
        self.insights = 0

    @property
    def constraints(self) -> Constraints:
        return self.family.merge(self.redirected)

    # ---- saved between runs -------------------------------------------------------------

    def checkpoint(self) -> bytes | None:
        # The store is the engine's own (mode 0700), so pickle's trust rules are met.
        state = dict(self.__dict__)
        state["queue"] = [action.__name__ for action in self.queue]
        return pickle.dumps(state)

    def restore(self, state: bytes) -> None:
        saved = pickle.loads(state)  # written by this engine: see checkpoint
        names = saved.pop("queue")
        self.__dict__.update(saved)
        # Actions are the researcher's own methods: bind them to this instance again.
        self.queue = deque(getattr(self, name) for name in names)

    # ---- the step --------------------------------------------------------------------

    async def step(self, ctx: StepContext) -> StepOutcome:
        self.agent_id = ctx.agent_id
        for message in ctx.inbox:
            self._hear(ctx, message)
        if not self.queue:
            self._plan()
        action = self.queue[0]
        # Popped only once done: a step cut short (hard pause) is taken again on resume.
        progress = await action(ctx)
        if self.queue and self.queue[0] is action:
            self.queue.popleft()
        return StepOutcome(progress=progress)

    def _plan(self) -> None:
        if not self.oriented:
            self.queue.append(self._orient)
        self.queue.extend(
            (self._propose, self._hypothesis, self._experiment, self._judge, self._report)
        )

    def _hear(self, ctx: StepContext, message: Message) -> None:
        key = (message.ts, message.text)
        if key in self.heard:
            return
        self.heard.add(key)
        u = understand(message.text)
        who = "the supervisor" if message.source == "redirect" else "a broadcast"
        if u.empty and not u.constraints.focus:
            if message.source == "redirect":
                ctx.say(
                    f"Message from {who}: {message.text!r}. I found no method, loss or "
                    f"parameter in it that I can act on (I did not understand: "
                    f"{', '.join(u.not_understood) or 'anything'}); I keep my current plan.\n"
                )
            return
        self.redirected = self.redirected.merge(u.constraints)
        if u.constraints.focus:
            rest = tuple(f for f in self.focus if f not in u.constraints.focus)
            self.focus = u.constraints.focus + rest
        # The plan in hand was made before the message: start a fresh cycle under it.
        self.queue.clear()
        self.current = None
        self.oriented = True
        text = f"Message from {who}: {message.text!r}. Understood: {', '.join(u.understood)}."
        if u.not_understood:
            text += f" Not understood: {', '.join(u.not_understood)}."
        text += f" My search is now constrained to {self.constraints.describe()}.\n"
        ctx.say(text)

    # ---- actions ---------------------------------------------------------------------

    async def _orient(self, ctx: StepContext) -> bool:
        ctx.say(
            f"My direction: {self.direction}. Before running anything I read the forum and "
            "the leaderboard, to avoid repeating others and to start from the best known result.\n"
        )
        await ctx.tools.call("forum_search", {"query": "", "limit": 10})
        await self._read_leaderboard(ctx)
        self.oriented = True
        return True

    async def _read_leaderboard(self, ctx: StepContext) -> None:
        board = await ctx.tools.call("leaderboard", {"limit": 10})
        for row in board.data.get("entries", []):
            try:
                config = json.loads(row["method"])
            except (ValueError, TypeError):
                continue
            if not isinstance(config, dict) or row["agent_id"] == self.agent_id:
                continue
            self.knowledge.add(
                Trial(
                    digest=f"lb-{row['submission_id']}",
                    config=config,
                    by=row["agent_id"],
                    diagnostics={},
                    pgr=row["pgr"],
                    accuracy=row["accuracy"],
                )
            )

    def _parent(self) -> tuple[Trial | None, str]:
        mine = self.knowledge.best(self.agent_id)
        overall = self.knowledge.best()
        better = overall is not None and (mine is None or (overall.pgr or 0) > (mine.pgr or 0))
        adopt = 2 * ADOPT if self.drifted else ADOPT
        if (
            overall is not None
            and better
            and overall.by != self.agent_id
            and self.rng.random() < adopt
        ):
            return overall, f"building on {overall.by}'s PGR {pgr_text(overall.pgr)}"
        if mine is not None:
            top = sorted(
                (t for t in self.knowledge.mine(self.agent_id) if t.scored),
                key=lambda t: -(t.pgr or 0),
            )[:3]
            pick = self.rng.choice(top)
            return pick, f"refining my trial at PGR {pgr_text(pick.pgr)}"
        unscored = self.knowledge.mine(self.agent_id)
        if unscored:
            return self.rng.choice(unscored), "refining an unscored trial"
        return None, "starting from my direction's family"

    def _maybe_drift(self, ctx: StepContext) -> None:
        if self.drifted or not self.family.fixed:
            return
        scored = [t for t in self.knowledge.mine(self.agent_id) if t.scored]
        mine, overall = self.knowledge.best(self.agent_id), self.knowledge.best()
        if len(scored) < DRIFT_AFTER or overall is None or overall.by == self.agent_id:
            return
        if mine is not None and (overall.pgr or 0) < (mine.pgr or 0) + DRIFT_GAP:
            return
        self.drifted = True
        self.family = Constraints(ranges=self.family.ranges)
        self.focus = FOCUS["tuning"]
        ctx.say(
            f"After {len(scored)} scored trials my family tops out at PGR "
            f"{pgr_text(mine.pgr if mine else None)}, while {overall.by} reached "
            f"{pgr_text(overall.pgr)} with {config_text(overall.config)}. "
            "I stop pinning my family and build on that result.\n"
        )

    def _crossover_partner(self) -> Trial | None:
        others = [t for t in self.knowledge.trials.values() if t.scored and t.by != self.agent_id]
        if not others or self.rng.random() >= CROSS:
            return None
        return max(others, key=lambda t: t.pgr or 0)

    async def _propose(self, ctx: StepContext) -> bool:
        if self.cycles and self.cycles % 3 == 0:
            await self._read_leaderboard(ctx)
        self._maybe_drift(ctx)
        c = self.constraints
        changed: list[str]
        for _ in range(5):
            parent, why = self._parent()
            if parent is None:
                config, changed = apply_constraints(dict(c.fixed), c), []
                if self.knowledge.mine(self.agent_id) or self.cycles:
                    config = random_config(dict(c.fixed), self.rng, c)
            elif (other := self._crossover_partner()) is not None:
                config, changed = crossover(parent.config, other.config, self.rng, c)
                why = f"combining my best with {other.by}'s (PGR {pgr_text(other.pgr)})"
                if not changed:
                    config, changed = mutate(parent.config, self.rng, c, self.focus)
            elif self.rng.random() < EXPLORE:
                config, changed, why = random_config(dict(c.fixed), self.rng, c), [], "exploring"
                parent = None
            else:
                config, changed = mutate(parent.config, self.rng, c, self.focus)
            look = await ctx.tools.call("experiment_lookup", {"config": config})
            if not look.ok:
                ctx.say(f"That config does not parse ({look.error}); I draw another.\n")
                continue
            digest = look.data["digest"]
            if look.data.get("found"):
                public = look.data.get("public") or {}
                self.knowledge.add(
                    Trial(
                        digest=digest,
                        config=look.data["config"],
                        by=look.data.get("ran_by", "?"),
                        diagnostics=look.data.get("diagnostics", {}),
                        pgr=public.get("pgr"),
                        accuracy=public.get("accuracy"),
                    )
                )
                ctx.say(
                    f"{look.data.get('ran_by')} already ran {config_text(config)}; "
                    "I take its result and draw another.\n"
                )
                continue
            self.current = Candidate(look.data["config"], parent, changed, why, digest)
            ctx.say(f"Next: {config_text(self.current.config)} ({why}).\n")
            return True
        self.queue.clear()  # nothing new found: the next step starts a fresh cycle
        return False

    async def _hypothesis(self, ctx: StepContext) -> bool:
        cur = self.current
        if cur is None:
            return False
        if self.cycles % 3 == 0 or cur.parent is None:
            first = not self.knowledge.mine(self.agent_id)
            title, body = hypothesis(self.direction, cur.parent, cur.changed, cur.config, first)
            await ctx.tools.call(
                "forum_post",
                {"kind": "hypothesis", "title": title, "body": body, "tags": self._tags(cur)},
            )
        return True

    async def _experiment(self, ctx: StepContext) -> bool:
        cur = self.current
        if cur is None:
            return False
        res = await ctx.tools.call("run_experiment", {"config": cur.config})
        self.cycles += 1
        if not res.ok:
            self.failures += 1
            detail = last_lines(res.output)
            ctx.say(f"The experiment failed: {detail}\n")
            if self.failures in (2, 10):
                title, body = failure(cur.config, res.output or res.error or "")
                await ctx.tools.call("forum_post", {"kind": "error", "title": title, "body": body})
            self.queue.clear()
            self.current = None
            return False
        self.failures = 0
        d = res.data
        public = d.get("public") or {}
        cur.trial = self.knowledge.add(
            Trial(
                digest=d["digest"],
                config=d["config"],
                by=d.get("ran_by", self.agent_id) if d.get("reused") else self.agent_id,
                diagnostics=d.get("diagnostics", {}),
                predictions=d.get("predictions"),
                pgr=public.get("pgr"),
                accuracy=public.get("accuracy"),
            )
        )
        ctx.say(f"Diagnostics: {diagnostics_text(cur.trial.diagnostics)}.\n")
        return True

    async def _judge(self, ctx: StepContext) -> bool:
        cur = self.current
        if cur is None or cur.trial is None or cur.trial.predictions is None:
            return False
        trial = cur.trial
        if trial.scored:
            ctx.say("Its score is already known; no need to submit it again.\n")
            return True
        if time.time() < self.submit_blocked_until:
            ctx.say("I am at my submission limit for now; I keep experimenting.\n")
            return True
        predicted = self.knowledge.proxy(trial.diagnostics)
        best = self.knowledge.best(self.agent_id)
        worth = (
            predicted is None
            or best is None
            or predicted >= (best.pgr or 0) - 0.05
            or self.rng.random() < 0.2
        )
        if not worth:
            ctx.say(
                f"The diagnostics predict PGR {pgr_text(predicted)}, well under my best "
                f"{pgr_text(best.pgr if best else None)}; I do not spend a submission.\n"
            )
            return True
        res = await ctx.tools.call(
            "submit",
            {"path": trial.predictions, "method": json.dumps(trial.config, sort_keys=True)},
        )
        if not res.ok:
            if "rate limit" in (res.error or ""):
                self.submit_blocked_until = time.time() + RATE_BACKOFF
            ctx.say(f"The submission was not accepted: {res.error}\n")
            return False
        public = res.data.get("public")
        trial.submission_id = res.data.get("submission_id")
        trial.flags = tuple(res.data.get("flags", ()))
        released = public is not None
        if public is None:
            ctx.say(f"No new public score: {res.output}.\n")
            # The Ladder's score for a submission no better than my best is that best.
            graded = res.data.get("scored") and "degenerate" not in trial.flags
            public = res.data.get("best") if graded else None
            if public is None:
                return True
        previous = best.pgr if best else None
        trial.pgr, trial.accuracy = public.get("pgr"), public.get("accuracy")
        self.scored_since_insight += 1
        if released:
            ctx.say(f"Public PGR {pgr_text(trial.pgr)}, accuracy {trial.accuracy:.3f}.\n")
        cur.previous_best = previous
        return True

    async def _report(self, ctx: StepContext) -> bool:
        cur, self.current = self.current, None
        if cur is None or cur.trial is None:
            return False
        trial = cur.trial
        previous = cur.previous_best
        new_best = (
            trial.scored
            and trial.submission_id is not None
            and "degenerate" not in trial.flags
            and (previous is None or (trial.pgr or 0) > previous + 0.002)
        )
        if new_best:
            title, body = result(trial, previous)
            await ctx.tools.call(
                "forum_post",
                {
                    "kind": "result",
                    "title": title,
                    "body": body,
                    "tags": self._tags(cur),
                    "metrics": {"pgr": trial.pgr, "accuracy": trial.accuracy},
                    "submission_id": trial.submission_id,
                },
            )
            return True
        # A first comparison is worth sharing early (with its n); later ones need more data.
        due = FIRST_INSIGHT if not self.insights else INSIGHT_EVERY
        if self.scored_since_insight >= due:
            await self._read_leaderboard(ctx)
            # Early on a value seen once still says something; the post gives every n.
            scored = sum(1 for t in self.knowledge.trials.values() if t.scored)
            effects = self.knowledge.effects(min_count=1 if scored < 12 else 2)
            if effects:
                title, body = insight(effects, scored)
                await ctx.tools.call(
                    "forum_post",
                    {"kind": "insight", "title": title, "body": body, "tags": ["insight"]},
                )
                self.scored_since_insight = 0
                self.insights += 1
        return True

    def _tags(self, cur: Candidate) -> list[str]:
        tags = [str(cur.config.get("method", "vanilla")), str(cur.config.get("loss", "xent"))]
        return tags + [c for c in cur.changed[:2]]

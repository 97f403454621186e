"""The offline researcher: a real search policy over the w2s method space, no model behind it.

Each step is one action through the same tools a model gets. A cycle: read what the swarm
knows (the leaderboard, others' results and insights on the forum, the registry) and tell it
to a TPE model of the space (`beliefs`); take that model's next proposal within its
direction and the supervisor's redirects; screen it cheaply (a quarter of the data, one
ensemble member), ranked by the proxy from its diagnostics, and promote it to the full run
only if successive halving says so; submit the full run for its public score. A new best is
reproduced over five seeds (each redrawing the initialisation, the data order and the
early-stopping slice) before it is posted as a result; an insight is posted only when the
forum does not already say it. A redirect in plain words narrows the search; it answers with
what it understood and what it did not.
"""

from __future__ import annotations

import json
import pickle
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from engine.brain import Brain, Message, StepContext, StepOutcome
from engine.brains.offline.beliefs import Beliefs
from engine.brains.offline.family import family_of
from engine.brains.offline.knowledge import Knowledge, Trial, read_baselines
from engine.brains.offline.posting import Candidate, Posting
from engine.brains.offline.prose import diagnostics_text, failure, last_lines
from engine.brains.offline.reading import (
    ReadTrial,
    board_trial,
    lesson,
    result_trial,
    verdict_release,
    verdict_told,
)
from engine.brains.offline.space import FOCUS, Constraints, changed_fields
from engine.brains.offline.understanding import understand
from engine.texts import config_text, pgr_text

Action = Callable[[StepContext], Awaitable[bool]]

READ_EVERY = 2  # cycles between two readings of the leaderboard and the forum
RATE_BACKOFF = 300.0
# After this many scored trials of its own, an agent whose family trails another agent's
# best by DRIFT_GAP drops its family's pin (the direction was a starting point, not a
# cage; a supervisor's redirect stays binding).
DRIFT_AFTER = 5
DRIFT_GAP = 0.05


class OfflineResearcher(Posting, Brain):
    name = "offline"

    def __init__(self, *, direction: str, seed: int = 0) -> None:
        self.direction = direction
        self.rng = random.Random(seed)
        self.family, self.focus = family_of(direction)
        self.redirected = Constraints()
        self.knowledge = Knowledge()
        self.beliefs = Beliefs(seed)
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
        self.post_of: dict[str, int] = {}  # a trial's digest or key -> the post that reports it
        self.lessons_read: set[int] = set()
        self.public_rows: int | None = None
        self.verdicts_seen = 0  # the last submission of others whose verdict was read
        self.expected: float | None = None  # the agreement a student of the concept shows

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
        if self.current is not None:
            self.beliefs.drop(self.current.number)
        self.current = None
        self.oriented = True
        text = f"Message from {who}: {message.text!r}. Understood: {', '.join(u.understood)}."
        if u.not_understood:
            text += f" Not understood: {', '.join(u.not_understood)}."
        text += f" My search is now constrained to {self.constraints.describe()}.\n"
        ctx.say(text)

    # ---- reading ---------------------------------------------------------------------

    async def _orient(self, ctx: StepContext) -> bool:
        ctx.say(
            f"My direction: {self.direction}. Before running anything I read the forum and "
            "the leaderboard, to avoid repeating others and to start from what they found.\n"
        )
        await self._read(ctx)
        read = await ctx.tools.call("read_file", {"path": "/bundle/baselines.json"})
        self._expect(ctx, read.output if read.ok else "")
        self.oriented = True
        return True

    def _expect(self, ctx: StepContext, baselines_json: str) -> None:
        """How unreleased runs are told apart: from the bundle's baselines, the agreement
        with the weak labels of a student as accurate as the ceiling (none: told alike)."""
        if (baselines := read_baselines(baselines_json)) is None:
            return
        weak, ceiling, self.expected = baselines
        ctx.say(
            f"Weak labels {weak:.3f} and ceiling {ceiling:.3f} accurate: a student that learnt "
            f"the concept agrees with the weak labels about {self.expected:.3f} of the time. "
            "Until released scores fit my proxy, I favour the unreleased runs nearest that.\n"
        )

    def _stand_in(self, diagnostics: dict[str, Any], held: float) -> float:
        return self.knowledge.stand_in(diagnostics, held, self.expected)

    async def _read(self, ctx: StepContext) -> None:
        """Tell the model every scored trial others report; test what their insights claim."""
        before = self.beliefs.known
        board = await ctx.tools.call("leaderboard", {"limit": 50})
        read = [board_trial(row) for row in board.data.get("entries", [])]
        results = await ctx.tools.call("forum_search", {"kind": "result", "limit": 30})
        posts = results.data.get("posts", [])
        read += [result_trial(p) for p in posts]
        for t in read:
            if t is not None and t.by != self.agent_id:
                self._learn(t)
        insights = await ctx.tools.call("forum_search", {"kind": "insight", "limit": 30})
        for post in insights.data.get("posts", []):
            if post.get("author") == self.agent_id or post["id"] in self.lessons_read:
                continue
            self.lessons_read.add(post["id"])
            said = lesson(post.get("title", ""))
            best = self.knowledge.best()
            if said is None or best is None:
                continue
            name, value = said
            self.beliefs.enqueue({**best.config, name: value})
            ctx.say(
                f"{post.get('author')} reports (post #{post['id']}) that {name}={value} does "
                f"best; I will test it on the best config known.\n"
            )
        if (n := self.beliefs.known - before) > 0:
            known = self.beliefs.known
            ctx.say(f"I told my model {n} scored trials of others ({known} known in all).\n")

    def _learn(self, t: ReadTrial) -> None:
        if float(t.config.get("data_fraction", 1.0)) < 1.0:
            return  # another agent's screen: its score is of a cheaper fidelity
        trial = self.knowledge.add(
            Trial(
                digest=t.key,
                config=t.config,
                by=t.by,
                diagnostics={},
                pgr=t.pgr,
                accuracy=t.accuracy,
            )
        )
        if t.post_id is not None:
            self.post_of.setdefault(trial.digest, t.post_id)
        self.beliefs.tell_known(t.key, t.config, t.pgr)

    def _hear_verdicts(self, ctx: StepContext, verdicts: list[dict[str, Any]]) -> None:
        """Others' full runs from the registry, as their submitters were told them."""
        before = self.beliefs.known
        for v in verdicts:
            self.verdicts_seen = max(self.verdicts_seen, int(v["submission_id"]))
            if (release := verdict_release(v)) is not None:
                self.knowledge.add_release(*release)
            if (told := verdict_told(v, self._stand_in)) is not None:
                self.beliefs.tell_known(*told)
        if (n := self.beliefs.known - before) > 0:
            ctx.say(f"I told my model {n} full runs of others, read from the registry.\n")

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
            "I stop pinning my family and search around that result.\n"
        )

    # ---- actions ---------------------------------------------------------------------

    async def _propose(self, ctx: StepContext) -> bool:
        if self.cycles and self.cycles % READ_EVERY == 0:
            await self._read(ctx)
        self._maybe_drift(ctx)
        for _ in range(5):
            number, config = self.beliefs.propose(self.constraints)
            look = await ctx.tools.call(
                "experiment_lookup", {"config": config, "scored_after": self.verdicts_seen}
            )
            self._hear_verdicts(ctx, look.data.get("scored", []) if look.ok else [])
            if not look.ok:
                self.beliefs.drop(number)
                ctx.say(f"That config does not parse ({look.error}); I draw another.\n")
                continue
            if self.beliefs.in_flight(look.data.get("in_flight", [])):
                # Others are running something this proposal did not know of: ask again.
                self.beliefs.drop(number)
                continue
            public = look.data.get("public") or {}
            if look.data.get("found"):
                self.beliefs.drop(number)
                if public.get("pgr") is not None:
                    self.knowledge.add(
                        Trial(
                            digest=look.data["digest"],
                            config=look.data["config"],
                            by=look.data.get("ran_by", "?"),
                            diagnostics=look.data.get("diagnostics", {}),
                            pgr=public.get("pgr"),
                            accuracy=public.get("accuracy"),
                        )
                    )
                    self.beliefs.tell_known(look.data["digest"], look.data["config"], public["pgr"])
                ctx.say(
                    f"{look.data.get('ran_by')} already ran {config_text(config)}; "
                    "I take its result and draw another.\n"
                )
                continue
            config = look.data["config"]
            parent = self.knowledge.best()
            changed = changed_fields(parent.config, config) if parent is not None else []
            why = "TPE's proposal from the trials the swarm knows"
            if parent is not None:
                why += f", against the best, {parent.by}'s PGR {pgr_text(parent.pgr)}"
            self.current = Candidate(number, config, parent, changed, why)
            ctx.say(f"Next: {config_text(config)} ({why}); screened first.\n")
            return True
        self.queue.clear()  # nothing new found: the next step starts a fresh cycle
        return False

    async def _experiment(self, ctx: StepContext) -> bool:
        cur = self.current
        if cur is None:
            return False
        res = await ctx.tools.call("run_experiment", {"config": cur.run_config})
        if cur.stage == "screen":
            self.cycles += 1
        if not res.ok:
            self.failures += 1
            detail = last_lines(res.output)
            ctx.say(f"The experiment failed: {detail}\n")
            if self.failures in (2, 10):
                title, body = failure(cur.config, res.output or res.error or "")
                await ctx.tools.call("forum_post", {"kind": "error", "title": title, "body": body})
            self.beliefs.drop(cur.number)
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
        ctx.say(f"Diagnostics ({cur.stage}): {diagnostics_text(cur.trial.diagnostics)}.\n")
        return True

    async def _score(self, ctx: StepContext, trial: Trial) -> float | None:
        """The public PGR of `trial`: known, submitted for, or (at the rate limit) predicted
        from its diagnostics by the proxy."""
        if trial.scored:
            return trial.pgr
        if time.time() < self.submit_blocked_until or trial.predictions is None:
            return self.knowledge.proxy(trial.diagnostics)
        res = await ctx.tools.call(
            "submit",
            {"path": trial.predictions, "method": json.dumps(trial.config, sort_keys=True)},
        )
        if not res.ok:
            if "rate limit" in (res.error or ""):
                self.submit_blocked_until = time.time() + RATE_BACKOFF
            ctx.say(f"The submission was not accepted: {res.error}\n")
            return self.knowledge.proxy(trial.diagnostics)
        public = res.data.get("public")
        trial.submission_id = res.data.get("submission_id")
        trial.flags = tuple(res.data.get("flags", ()))
        released = trial.released = public is not None
        if public is not None and public.get("n"):
            self.public_rows = int(public["n"])
        if not released:
            ctx.say(f"No new public score: {res.output}.\n")
            # The Ladder's score for a submission no better than my best is that best.
            graded = res.data.get("scored") and "degenerate" not in trial.flags
            public = res.data.get("best") if graded else None
        if public is None:
            return None
        trial.pgr, trial.accuracy = public.get("pgr"), public.get("accuracy")
        if released:
            ctx.say(f"Public PGR {pgr_text(trial.pgr)}, accuracy {trial.accuracy:.3f}.\n")
        return trial.pgr

    async def _judge(self, ctx: StepContext) -> bool:
        cur = self.current
        if cur is None or cur.trial is None:
            return False
        trial = cur.trial
        if cur.stage == "screen":
            return self._judge_screen(ctx, cur, trial)
        # A result is a new best of the swarm's, as far as this agent knows.
        best = self.knowledge.best()
        pgr = await self._score(ctx, trial)
        told = pgr if pgr is None or trial.released else self._stand_in(trial.diagnostics, pgr)
        self.beliefs.finished(cur.number, told, trial.digest)
        if pgr is not None:
            self.scored_since_insight += 1
        cur.previous_best = best.pgr if best else None
        return True

    def _judge_screen(self, ctx: StepContext, cur: Candidate, trial: Trial) -> bool:
        """Rank a screen by the proxy's prediction from its diagnostics, never by a public
        score: the Ladder keeps each agent's best release, so a quarter-data screen released
        by luck would raise the bar every later full run of the agent must clear. With no
        proxy yet (fewer than five released scores), every screen earns its full run."""
        told = self.knowledge.proxy(trial.diagnostics)
        if told is None or self.beliefs.screened(cur.number, told):
            why = "no proxy yet to rank it" if told is None else "it ranks in the top third"
            ctx.say(f"The screen earns a full run ({why}).\n")
            cur.stage, cur.trial = "full", None
            # Run the full fidelity next, before the report.
            self.queue.insert(1, self._judge)
            self.queue.insert(1, self._experiment)
        else:
            ctx.say(
                f"The proxy predicts the screen at PGR {pgr_text(told)}: successive halving "
                "prunes it.\n"
            )
            self.current = None
        return True

"""The snapshot as a fold over committed events, so a snapshot and its `seq` always agree.

The engine applies each committed batch here; a client (`engine.client.RemoteView`, the
app's model) starts one from the snapshot it loaded (`Projection.from_snapshot`) and applies
the events it follows with the same code, so ranks, best PGRs and counters are the engine's.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.events import (
    AgentAddedPayload,
    AgentAttentionPayload,
    AgentHoldPayload,
    AgentState,
    AgentStatePayload,
    BudgetPayload,
    ErrorPayload,
    Event,
    ExperimentFinishedPayload,
    ForumPostPayload,
    PrivateRevealedPayload,
    ReproductionPayload,
    RunStatePayload,
    Score,
    SubmissionPayload,
    SubmissionVoidedPayload,
    TextDeltaPayload,
    ThinkingDeltaPayload,
    ToolCallPayload,
    UsagePayload,
    WatchFlagPayload,
)
from engine.view import (
    AgentInfo,
    Budgets,
    ForumIndexEntry,
    Hold,
    LeaderboardEntry,
    RunInfo,
    Snapshot,
)

# Flags that keep a scored submission off the ranking (it stays listed).
UNRANKED_FLAGS = frozenset({"degenerate", "probing", "irreproducible"})
# Marks every submission of an agent the reward-hacking watch flagged (ranked; voidable).
WATCH_FLAG = "watch"
# An agent's `last_activity` moves on once a second at most: a copy of its record for every
# streamed word was the fold's largest cost, in the engine and in every client.
ACTIVITY_RESOLUTION = 1.0
# Kinds that tell the fold nothing but that their agent was active: most of a busy run's
# events (command output above all), so they skip the match below.
ACTIVITY_ONLY = frozenset(
    {"tool_result", "command_output", "experiment_started", "command", "sandbox_stats"}
)


def _rankable(e: LeaderboardEntry) -> bool:
    return not e.voided and not UNRANKED_FLAGS & set(e.flags)


class Projection:
    def __init__(self, run: RunInfo, budgets: Budgets | None = None) -> None:
        self.seq = 0
        self.run = run
        self.budgets = budgets or Budgets()
        self.agents: dict[str, AgentInfo] = {}
        self.entries: dict[int, LeaderboardEntry] = {}
        self.forum: dict[int, ForumIndexEntry] = {}
        self.watched: set[str] = set()

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> Projection:
        """The fold as it stood at `snap.seq`, to follow with the events after it."""
        p = cls(snap.run, snap.budgets)
        p.seq = snap.seq
        p.agents = {a.id: a for a in snap.agents}
        p.entries = {e.submission_id: e for e in snap.leaderboard}
        p.forum = {f.id: f for f in snap.forum}
        p.watched = {a.id for a in snap.agents if WATCH_FLAG in a.flags}
        return p

    def apply_all(self, events: list[Event]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        self.seq = event.seq
        p = event.payload
        aid = event.agent_id or ""  # "": a run-wide event, which no agent's case matches
        agent = self.agents.get(aid) if aid else None
        if agent is not None and event.ts - (agent.last_activity or 0.0) >= ACTIVITY_RESOLUTION:
            agent = agent.model_copy(update={"last_activity": event.ts})
            self.agents[aid] = agent
        if p.kind in ACTIVITY_ONLY:
            return
        match p:
            case TextDeltaPayload() | ThinkingDeltaPayload() if agent:
                if p.step > agent.counters.steps:
                    self._set_counters(aid, steps=p.step)
            case RunStatePayload():
                update: dict[str, object] = {"state": p.state}
                if p.deadline is not None:
                    update["deadline"] = p.deadline
                if p.task_id is not None:
                    update["task_id"] = p.task_id
                if p.baselines is not None:
                    update["baselines"] = p.baselines
                if self.run.started_at is None:
                    update["started_at"] = event.ts
                self.run = self.run.model_copy(update=update)
            case AgentAddedPayload() if aid:
                self.agents[aid] = AgentInfo(
                    id=aid,
                    direction=p.direction,
                    brain=p.brain,
                    model=p.model,
                    sandbox_backend=p.sandbox_backend,
                    state=AgentState.STARTING,
                    last_activity=event.ts,
                )
            case AgentStatePayload() if agent:
                update = {"state": p.state, "state_reason": p.reason}
                if p.sandbox_id is not None:
                    update["sandbox_id"] = p.sandbox_id
                self.agents[aid] = agent.model_copy(update=update)
            case AgentHoldPayload() if agent:
                self.agents[aid] = agent.model_copy(
                    update={"holds": _held(agent.holds, p, event.ts)}
                )
            case AgentAttentionPayload() if agent:
                self.agents[aid] = agent.model_copy(
                    update={"needs_attention": p.needs_attention, "attention_reason": p.reason}
                )
            case ToolCallPayload() if agent:
                self._count(aid, tool_calls=1)
                self._set_counters(aid, steps=max(agent.counters.steps, p.step))
            case UsagePayload() if agent:
                c = agent.counters
                self._set_counters(
                    aid,
                    tokens_in=c.tokens_in + p.tokens_in,
                    tokens_out=c.tokens_out + p.tokens_out,
                    cost_usd=c.cost_usd + p.cost_usd,
                )
                self.budgets = self.budgets.model_copy(
                    update={"cost_used_usd": self.budgets.cost_used_usd + p.cost_usd}
                )
            case ExperimentFinishedPayload() if agent:
                self._count(aid, experiments=1)
                self.budgets = self.budgets.model_copy(
                    update={"experiments_used": self.budgets.experiments_used + 1}
                )
            case ErrorPayload() if agent:
                self._count(aid, errors=1)
            case SubmissionPayload():
                self._submission(event, p)
            case SubmissionVoidedPayload():
                entry = self.entries.get(p.submission_id)
                if entry is not None:
                    self.entries[p.submission_id] = entry.model_copy(
                        update={"voided": True, "void_reason": p.reason}
                    )
                    self._rerank()
                    self._rebest(entry.agent_id)
            case ReproductionPayload():
                entry = self.entries.get(p.submission_id)
                if entry is not None:
                    flags = entry.flags + tuple(
                        f for f in p.reproduced.flags if f not in entry.flags
                    )
                    self.entries[p.submission_id] = entry.model_copy(
                        update={"reproduced": p.reproduced, "flags": flags}
                    )
                    self._rerank()
                    self._rebest(entry.agent_id)
            case PrivateRevealedPayload():
                self.run = self.run.model_copy(update={"private_revealed": True})
                for s in p.scores:
                    entry = self.entries.get(s.submission_id)
                    if entry is not None:
                        self.entries[s.submission_id] = entry.model_copy(
                            update={"private": s.private}
                        )
            case ForumPostPayload():
                post = p.post
                self.forum[post.id] = ForumIndexEntry(
                    id=post.id,
                    author=post.author,
                    kind=post.kind,
                    title=post.title,
                    tags=post.tags,
                    parent_id=post.parent_id,
                    ts=post.ts,
                )
                parent = self.forum.get(post.parent_id) if post.parent_id else None
                if parent is not None:
                    self.forum[parent.id] = parent.model_copy(
                        update={"replies": parent.replies + 1}
                    )
            case WatchFlagPayload() if aid:
                self._watch(aid)
            case BudgetPayload():
                # Only the fields an event sets: one of an older run has some of them.
                given = p.limits.model_dump(exclude_unset=True)
                given |= p.spend.model_dump(exclude_unset=True)
                self.budgets = self.budgets.model_copy(update=given)
            case _:
                pass

    def _count(self, aid: str, **inc: int) -> None:
        c = self.agents[aid].counters
        self._set_counters(aid, **{k: getattr(c, k) + v for k, v in inc.items()})

    def _set_counters(self, aid: str, **values: object) -> None:
        agent = self.agents[aid]
        counters = agent.counters.model_copy(update=values)
        self.agents[aid] = agent.model_copy(update={"counters": counters})

    def _watch(self, aid: str) -> None:
        self.watched.add(aid)
        agent = self.agents.get(aid)
        if agent is not None and WATCH_FLAG not in agent.flags:
            self.agents[aid] = agent.model_copy(update={"flags": (*agent.flags, WATCH_FLAG)})
        for sid, e in list(self.entries.items()):
            if e.agent_id == aid and WATCH_FLAG not in e.flags:
                self.entries[sid] = e.model_copy(update={"flags": (*e.flags, WATCH_FLAG)})

    def _submission(self, event: Event, p: SubmissionPayload) -> None:
        aid = event.agent_id
        if aid in self.agents:
            self._count(aid, submissions=1)
        self.budgets = self.budgets.model_copy(
            update={"submissions_used": self.budgets.submissions_used + 1}
        )
        if not p.scored or p.public is None or aid is None:
            return
        self.entries[p.submission_id] = LeaderboardEntry(
            rank=None,
            submission_id=p.submission_id,
            agent_id=aid,
            method=p.method,
            public=p.public,
            flags=(*p.flags, WATCH_FLAG) if aid in self.watched else p.flags,
            ts=event.ts,
            experiment_digest=p.experiment_digest,
        )
        self._rerank()
        self._rebest(aid)

    def _rebest(self, aid: str) -> None:
        """An agent's best public PGR: that of its best ranked submission (a void lowers it)."""
        agent = self.agents.get(aid)
        if agent is None:
            return
        best = _best_pgr(e for e in self.entries.values() if e.agent_id == aid)
        if best != agent.best_public_pgr:
            self.agents[aid] = agent.model_copy(update={"best_public_pgr": best})

    def _rerank(self) -> None:
        def key(e: LeaderboardEntry) -> tuple[float, float, float]:
            s: Score = e.public
            return (-(s.pgr if s.pgr is not None else -1e9), -s.accuracy, e.ts)

        ranked = sorted((e for e in self.entries.values() if _rankable(e)), key=key)
        for i, e in enumerate(ranked, start=1):
            if e.rank != i:
                self.entries[e.submission_id] = e.model_copy(update={"rank": i})
        ranked_ids = {e.submission_id for e in ranked}
        for sid, e in list(self.entries.items()):
            if sid not in ranked_ids and e.rank is not None:
                self.entries[sid] = e.model_copy(update={"rank": None})

    def best_public_pgr(self) -> float | None:
        """The run's best public PGR: that of its best ranked submission."""
        return _best_pgr(self.entries.values())

    def leaderboard(self) -> list[LeaderboardEntry]:
        return sorted(
            self.entries.values(),
            key=lambda e: (e.rank is None, e.rank or 0, e.ts),
        )

    def snapshot(self) -> Snapshot:
        return Snapshot(
            seq=self.seq,
            run=self.run,
            agents=tuple(self.agents.values()),
            leaderboard=tuple(self.leaderboard()),
            forum=tuple(sorted(self.forum.values(), key=lambda f: f.id)),
            budgets=self.budgets,
        )


def _best_pgr(entries: Iterable[LeaderboardEntry]) -> float | None:
    pgrs = [e.public.pgr for e in entries if e.rank is not None and e.public.pgr is not None]
    return max(pgrs, default=None)


def _held(holds: tuple[Hold, ...], p: AgentHoldPayload, ts: float) -> tuple[Hold, ...]:
    """`holds` with the hold `p` begins added, or the open one it lifts ended."""
    if p.held:
        if any(h.reason == p.reason and h.ended is None for h in holds):
            return holds
        return (*holds, Hold(reason=p.reason, by=p.by, detail=p.detail, started=ts))
    return tuple(
        h.model_copy(update={"ended": ts, "ended_by": p.by})
        if h.reason == p.reason and h.ended is None
        else h
        for h in holds
    )

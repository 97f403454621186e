"""`EngineView`: the one interface through which the TUI, the HTTP API and `aar ctl` see a run.

Two implementations share it: the engine in the same process (`engine.Engine.view()`)
and a remote client over HTTP (`engine.client.RemoteView`). A client:

1. calls `snapshot()`: the current state (run, agents, leaderboard, forum index,
   budgets) and the `seq` it is current to;
2. follows `events(after_seq=snapshot.seq)`: an async iterator of `engine.events.Event`
   in `seq` order, each delivered only after it is committed; after a disconnect it calls
   `events(last_seq_seen)` again and misses nothing;
3. reads on demand: `transcript(agent_id, after_seq, limit)` (an agent's events),
   `forum_list` / `forum_thread` / `forum_search` (FTS5 full-text query), `leaderboard()`,
   `experiments()`;
   writes as the supervisor with `forum_post(title, body, kind=, tags=, parent_id=)`;
4. steers with `command(cmd)` (records of `engine.commands`), which answers
   applied / pending / refused(reason).

`connection` is `"connected"` in-process; a remote client also reports `"connecting"`,
`"reconnecting"` and `"disconnected"`.

A private score appears in no snapshot, leaderboard entry or event until the supervisor
sends `RevealPrivate`; until then `LeaderboardEntry.private` is None.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import Field

from engine.commands import Command, CommandResult
from engine.events import (
    AgentState,
    Event,
    ForumPost,
    HoldReason,
    Record,
    Reproduced,
    RunState,
    Score,
)
from engine.limits import LimitValues, Spend, with_limits

ConnectionState = Literal["connected", "connecting", "reconnecting", "disconnected"]


class RunInfo(Record):
    run_id: str
    name: str
    task: str
    task_id: str | None = None
    state: RunState
    started_at: float | None = None
    deadline: float | None = None
    brain: str
    sandbox_backend: str
    run_dir: str
    private_revealed: bool = False
    baselines: dict[str, Any] = Field(default_factory=dict)


class AgentCounters(Record):
    steps: int = 0
    tool_calls: int = 0
    errors: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    experiments: int = 0
    submissions: int = 0


class Hold(Record):
    """One reason an agent was held paused: since when, by whom, and when it was lifted."""

    reason: HoldReason
    by: str
    detail: str = ""
    started: float
    ended: float | None = None  # None while it holds
    ended_by: str | None = None


class AgentInfo(Record):
    id: str
    direction: str
    brain: str
    model: str | None = None
    sandbox_id: str | None = None
    sandbox_backend: str
    state: AgentState
    state_reason: str = ""
    needs_attention: bool = False
    attention_reason: str = ""
    counters: AgentCounters = AgentCounters()
    best_public_pgr: float | None = None
    last_activity: float | None = None
    # Raised by the reward-hacking watch (e.g. "watch"): shown beside the agent.
    flags: tuple[str, ...] = ()
    # Every hold the agent had, oldest first; those with `ended` None hold it now.
    holds: tuple[Hold, ...] = ()


class LeaderboardEntry(Record):
    """One scored submission. `rank` is None for flagged or voided ones (listed, not ranked)."""

    rank: int | None
    submission_id: int
    agent_id: str
    method: str
    public: Score
    private: Score | None = None
    flags: tuple[str, ...] = ()
    voided: bool = False
    void_reason: str | None = None
    ts: float
    # Set once the engine has reproduced it (or while it does): see `engine.reproduce`.
    reproduced: Reproduced | None = None
    # The registry's digest of the experiment it came from, when the agent named one.
    experiment_digest: str | None = None


class ForumIndexEntry(Record):
    id: int
    author: str
    kind: str
    title: str
    tags: tuple[str, ...] = ()
    parent_id: int | None = None
    replies: int = 0
    ts: float


class ExperimentRecord(Record):
    """A run of one normalised method config; `public` is the best score a submission of it got."""

    id: int
    digest: str
    config: dict[str, Any]
    agent_id: str
    status: Literal["running", "finished", "failed"]
    diagnostics: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    duration: float = 0.0
    public: Score | None = None
    reuses: int = 0
    ts: float


class _Budgets(Spend, LimitValues):
    """The run's limits (`engine.limits`; None: no limit) and their use so far."""

    cost_used_usd: float = 0.0
    experiments_used: int = 0
    submissions_used: int = 0


# Annotations name the base: the limits' fields are made at run time, from LIMITS.
if TYPE_CHECKING:
    Budgets = _Budgets
else:
    Budgets = with_limits(_Budgets, bounded=False)


class Snapshot(Record):
    seq: int
    run: RunInfo
    agents: tuple[AgentInfo, ...]
    leaderboard: tuple[LeaderboardEntry, ...]
    forum: tuple[ForumIndexEntry, ...]
    budgets: Budgets


@runtime_checkable
class EngineView(Protocol):
    """What any client may know of and do to a run; see the module docstring."""

    @property
    def connection(self) -> ConnectionState: ...

    async def snapshot(self) -> Snapshot: ...

    def events(self, after_seq: int = 0) -> AsyncIterator[Event]: ...

    async def transcript(
        self, agent_id: str, after_seq: int = 0, limit: int = 500
    ) -> list[Event]: ...

    async def forum_list(
        self,
        *,
        kind: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[ForumPost]: ...

    async def forum_thread(self, post_id: int) -> list[ForumPost]: ...

    async def forum_search(self, query: str, limit: int = 20) -> list[ForumPost]: ...

    async def forum_post(
        self,
        title: str,
        body: str = "",
        *,
        kind: str = "note",
        tags: tuple[str, ...] = (),
        parent_id: int | None = None,
    ) -> ForumPost:
        """A post (or, with `parent_id`, a reply) by the supervisor, which every agent reads."""
        ...

    async def leaderboard(self) -> list[LeaderboardEntry]: ...

    async def experiments(self, limit: int = 200) -> list[ExperimentRecord]: ...

    async def command(self, cmd: Command) -> CommandResult: ...

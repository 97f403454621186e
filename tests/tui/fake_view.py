"""A deterministic in-memory `EngineView` for the app's tests and benchmark.

Fixed data and a fixed clock, so screens render the same every time. Events pushed with
`emit` reach the app's follower; commands are recorded and answered by `answers`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from engine.commands import Command, CommandResult
from engine.errors import EngineError
from engine.events import (
    AgentStatePayload,
    CommandOutputPayload,
    Event,
    ExperimentFinishedPayload,
    ExperimentStartedPayload,
    ForumPost,
    Score,
    SubmissionPayload,
    TextDeltaPayload,
    ThinkingDeltaPayload,
    ToolCallPayload,
    ToolResultPayload,
)
from engine.view import (
    AgentCounters,
    AgentInfo,
    Budgets,
    ConnectionState,
    ExperimentRecord,
    ForumIndexEntry,
    LeaderboardEntry,
    RunInfo,
    Snapshot,
)

START = 1_700_000_000.0
NOW = START + 754.0
DIRECTIONS = ("logconf, small lr", "data reweighting", "noisy-channel EM", "distillation")


def clock() -> float:
    return NOW


def _agents(n: int) -> tuple[AgentInfo, ...]:
    states = ("running", "running", "paused", "waiting", "failed", "running")
    out = []
    for i in range(n):
        out.append(
            AgentInfo(
                id=f"a{i + 1}",
                direction=DIRECTIONS[i % len(DIRECTIONS)],
                brain="offline",
                sandbox_backend="local",
                state=states[i % len(states)],  # type: ignore[arg-type]
                needs_attention=i == 3,
                attention_reason="stuck" if i == 3 else "",
                counters=AgentCounters(
                    experiments=3 + i,
                    submissions=i % 3,
                    tokens_in=1200 * i,
                    tokens_out=300 * i,
                    cost_usd=0.01 * i,
                ),
                best_public_pgr=[0.412, 0.288, None, 0.05][i % 4],
            )
        )
    return tuple(out)


POSTS = (
    ForumPost(
        id=1,
        author="a1",
        kind="hypothesis",
        title="logconf beats xent at lr 1e-3",
        body="Confidence auxiliary loss should stop the student imitating errors.",
        tags=("logconf",),
        ts=START + 60,
    ),
    ForumPost(
        id=2,
        author="a1",
        kind="result",
        title="logconf lr 1e-3: PGR 0.41",
        body="Five seeds.\n\n| seed | PGR |\n|---|---|\n| 0 | 0.40 |\n| 1 | 0.42 |",
        metrics={"pgr": 0.412, "accuracy": 0.861},
        parent_id=1,
        submission_id=1,
        ts=START + 300,
    ),
    ForumPost(
        id=3,
        author="a2",
        kind="insight",
        title="reweighting by weak confidence helps",
        body="Down-weighting examples the weak model is unsure of gives **+0.05**.",
        ts=START + 420,
    ),
    ForumPost(
        id=4,
        author="supervisor",
        kind="note",
        title="Try the product loss",
        body="Someone should try `product` with alpha 1.",
        ts=START + 500,
    ),
)

BOARD = (
    LeaderboardEntry(
        rank=1,
        submission_id=1,
        agent_id="a1",
        method="logconf lr=1e-3",
        public=Score(accuracy=0.861, pgr=0.412, n=500),
        ts=START + 290,
    ),
    LeaderboardEntry(
        rank=2,
        submission_id=2,
        agent_id="a2",
        method="xent reweight",
        public=Score(accuracy=0.843, pgr=0.288, n=500),
        ts=START + 410,
    ),
    LeaderboardEntry(
        rank=None,
        submission_id=3,
        agent_id="a4",
        method="all ones",
        public=Score(accuracy=0.5, pgr=-1.2, n=500),
        flags=("degenerate",),
        ts=START + 600,
    ),
)


def snapshot(agents: int = 4) -> Snapshot:
    return Snapshot(
        seq=100,
        run=RunInfo(
            run_id="r1",
            name="toy-demo",
            task="toy",
            task_id="toy-v1",
            state="running",
            started_at=START,
            brain="offline",  # type: ignore[arg-type]
            sandbox_backend="local",
            run_dir="/tmp/run",
            baselines={"weak": {"accuracy": 0.80}, "ceiling": {"accuracy": 0.95}},
        ),
        agents=_agents(agents),
        leaderboard=BOARD if agents >= 4 else BOARD[:2],
        forum=tuple(
            ForumIndexEntry(
                id=p.id, author=p.author, kind=p.kind, title=p.title, parent_id=p.parent_id, ts=p.ts
            )
            for p in POSTS
        ),
        budgets=Budgets(
            minutes=30,
            elapsed_minutes=12.6,
            cost_usd=5.0,
            cost_used_usd=0.06,
            tokens_per_agent=200_000,
            experiments_per_agent=50,
        ),
    )


def transcript_events(agent_id: str, seq0: int = 10, submission_id: int = 1) -> list[Event]:
    """A short, complete step: thinking, an answer, a command with output, an experiment."""
    payloads: list[Any] = [
        AgentStatePayload(state="running", previous="starting"),  # type: ignore[arg-type]
        ThinkingDeltaPayload(text="The weak labels are noisy near the boundary; "),
        ThinkingDeltaPayload(text="logconf should help."),
        TextDeltaPayload(text="I will run logconf with lr 1e-3.\n"),
        ToolCallPayload(call_id="c1", tool="run_command", input={"cmd": "ls /bundle"}),
        CommandOutputPayload(call_id="c1", stream="stdout", line="weak_labels.npy"),
        CommandOutputPayload(call_id="c1", stream="stdout", line="features.npy"),
        ToolResultPayload(call_id="c1", tool="run_command", ok=True, output="", duration=0.2),
        ExperimentStartedPayload(
            experiment_id=7, digest="d7", config={"method": "vanilla", "loss": "logconf"}
        ),
        ExperimentFinishedPayload(
            experiment_id=7, digest="d7", ok=True, diagnostics={"train_loss": 0.31}, duration=4.0
        ),
        SubmissionPayload(
            submission_id=submission_id,
            method="logconf lr=1e-3",
            predictions_digest=f"p{submission_id}",
            public=Score(accuracy=0.861, pgr=0.412, n=500),
        ),
    ]
    return [
        Event(seq=seq0 + i, ts=START + 100 + i, agent_id=agent_id, payload=p)
        for i, p in enumerate(payloads)
    ]


class FakeView:
    """Implements `engine.view.EngineView` over fixed data; see the module docstring."""

    def __init__(self, agents: int = 4) -> None:
        self.snap = snapshot(agents)
        self.commands: list[Command] = []
        self.answers: dict[str, CommandResult] = {}
        self.connection_state: ConnectionState = "connected"
        self.searches: list[str] = []
        self.posts: list[tuple[str, str, int | None]] = []
        self.refuse_posts: str | None = None
        self.records: list[ExperimentRecord] = []
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._seq = self.snap.seq

    @property
    def connection(self) -> ConnectionState:
        return self.connection_state

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def emit(self, agent_id: str | None, payload: Any, ts: float | None = None) -> Event:
        event = Event(
            seq=self.next_seq(), ts=NOW if ts is None else ts, agent_id=agent_id, payload=payload
        )
        self._queue.put_nowait(event)
        return event

    def emit_event(self, event: Event) -> None:
        self._queue.put_nowait(event)

    async def snapshot(self) -> Snapshot:
        return self.snap

    async def events(self, after_seq: int = 0) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event.seq > after_seq:
                yield event

    async def transcript(self, agent_id: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        return [e for e in transcript_events(agent_id) if e.seq > after_seq][:limit]

    async def forum_list(
        self,
        *,
        kind: str | None = None,
        author: str | None = None,
        tag: str | None = None,
        limit: int = 100,
    ) -> list[ForumPost]:
        return [
            p
            for p in POSTS
            if (kind is None or p.kind == kind) and (author is None or p.author == author)
        ][:limit]

    async def forum_thread(self, post_id: int) -> list[ForumPost]:
        return [p for p in POSTS if post_id in (p.id, p.parent_id)]

    async def forum_search(self, query: str, limit: int = 20) -> list[ForumPost]:
        self.searches.append(query)
        words = query.lower().split()
        return [p for p in POSTS if all(w in (p.title + " " + p.body).lower() for w in words)][
            :limit
        ]

    async def forum_post(
        self,
        title: str,
        body: str = "",
        *,
        kind: str = "note",
        tags: tuple[str, ...] = (),
        parent_id: int | None = None,
    ) -> ForumPost:
        if self.refuse_posts:
            raise EngineError(self.refuse_posts)
        self.posts.append((title, body, parent_id))
        return ForumPost(
            id=99,
            author="supervisor",
            kind=kind,
            title=title,
            body=body,
            parent_id=parent_id,
            ts=NOW,
        )

    async def leaderboard(self) -> list[LeaderboardEntry]:
        return list(self.snap.leaderboard)

    async def experiments(self, limit: int = 200) -> list[ExperimentRecord]:
        return self.records[:limit]

    async def command(self, cmd: Command) -> CommandResult:
        self.commands.append(cmd)
        return self.answers.get(cmd.command, CommandResult.pending())

"""The app's picture of a run: a snapshot, brought up to date by events, one batch per frame.

`RunModel` is plain data with no widgets in it: `load(snapshot)` then `apply(events)`.
The run itself (its agents' states and counters, the leaderboard's ranks, the best PGR,
budgets) is the engine's own fold, `engine.projection.Projection`, started from the
snapshot; the model keeps only what belongs to the screen: each agent's activity pane and
current step, the forum posts read, the recent events, what changed in a batch (`Changes`)
so the screens redraw only that, and what deserves a toast (`Notice`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from aar_tui.activity import ActivityBuffer
from aar_tui.describe import (
    describe_call,
    describe_config,
    describe_event,
    describe_outcome,
    short,
)
from aar_tui.rows import AgentRow, Changes, Notice
from engine.events import Event, ForumPost
from engine.projection import Projection
from engine.view import Budgets, LeaderboardEntry, RunInfo, Snapshot

__all__ = ["AgentRow", "Changes", "Notice", "RunModel"]

# Raw events kept for the events screen; older ones are dropped (the log keeps them all).
EVENT_LOG_LINES = 5000
# Events that change a submission's rank or flags, and so the leaderboard and best PGRs.
BOARD_KINDS = frozenset({"submission", "submission_voided", "reproduction", "watch_flag"})


class RunModel:
    """Current state of one run as seen through an `EngineView`."""

    def __init__(self) -> None:
        self.seq = 0
        self.projection: Projection | None = None  # None until the snapshot is loaded
        self.agents: dict[str, AgentRow] = {}
        self.activity: dict[str, ActivityBuffer] = {}
        self.posts: dict[int, ForumPost] = {}
        self.best_history: list[tuple[float, float]] = []
        self.log: deque[Event] = deque(maxlen=EVENT_LOG_LINES)
        self.log_version = 0

    # ---- loading ------------------------------------------------------------------

    def load(self, snap: Snapshot) -> None:
        self.seq = snap.seq
        self.projection = Projection.from_snapshot(snap)
        self.agents = {a.id: AgentRow(a) for a in snap.agents}
        for agent_id in self.agents:
            self.activity.setdefault(agent_id, ActivityBuffer())
        self._recompute_best()

    def prefill(self, agent_id: str, events: Iterable[Event]) -> None:
        """Fill an agent's pane with its recent past (events up to the snapshot's seq).

        Only the pane, the current step and what the events alone tell (the experiment in
        flight, the latest redirect) change: the counters are the projection's.
        """
        row = self.agents.get(agent_id)
        if row is None:
            return
        for event in events:
            if event.seq <= self.seq and event.agent_id == agent_id:
                self._apply_agent_event(event, row, event.payload, Changes(), [])

    def add_posts(self, posts: Iterable[ForumPost]) -> None:
        for post in posts:
            self.posts[post.id] = post

    # ---- the run, as the projection folds it -------------------------------------

    @property
    def run(self) -> RunInfo | None:
        return self.projection.run if self.projection else None

    @property
    def budgets(self) -> Budgets:
        return self.projection.budgets if self.projection else Budgets()

    @property
    def submissions(self) -> dict[int, LeaderboardEntry]:
        """Every scored submission by id (unreleased ones have no entry)."""
        return self.projection.entries if self.projection else {}

    def ranked_submissions(self) -> list[LeaderboardEntry]:
        """The leaderboard: ranked ones by rank, then flagged and voided ones."""
        return self.projection.leaderboard() if self.projection else []

    @property
    def best_pgr(self) -> float | None:
        return self.best_history[-1][1] if self.best_history else None

    def state_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.agents.values():
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    def baseline(self, which: str) -> float | None:
        """The weak or ceiling accuracy from the run's baselines, whatever their nesting."""
        found = _find_accuracy(self.run.baselines if self.run else {}, which)
        return found

    def elapsed(self, now: float | None = None) -> float:
        if not self.run or not self.run.started_at:
            return 0.0
        return max(0.0, (time.time() if now is None else now) - self.run.started_at)

    # ---- events -------------------------------------------------------------------

    def apply(self, events: Iterable[Event]) -> tuple[Changes, list[Notice]]:
        changes = Changes()
        notices: list[Notice] = []
        projection = self.projection
        if projection is None:
            raise RuntimeError("load a snapshot before applying events")
        for event in events:
            if event.seq <= self.seq:
                continue  # already in the snapshot, or a resend after a reconnect
            self.seq = event.seq
            self.log.append(event)
            changes.events += 1
            projection.apply(event)
            self._apply_one(projection, event, changes, notices)
        if changes.events:
            self.log_version += 1
        return changes, notices

    def state_seen(self, agent_id: str, after: int) -> bool:
        """Whether a state change of the agent after `after` has been applied already."""
        for event in reversed(self.log):
            if event.seq <= after:
                return False
            if event.agent_id == agent_id and event.kind == "agent_state":
                return True
        return False

    def _pane(self, agent_id: str, changes: Changes) -> ActivityBuffer:
        changes.panes.add(agent_id)
        return self.activity.setdefault(agent_id, ActivityBuffer())

    def _apply_one(self, fold: Projection, ev: Event, ch: Changes, notices: list[Notice]) -> None:
        p: Any = ev.payload
        kind = p.kind
        aid = ev.agent_id
        info = fold.agents.get(aid) if aid else None
        row = self.agents.get(aid) if aid else None
        if info is not None:
            if row is None:
                row = self.agents[info.id] = AgentRow(info)
                self.activity.setdefault(info.id, ActivityBuffer())
                ch.agents_added = ch.header = True
            else:
                row.info = info
        if kind in BOARD_KINDS:
            self._apply_board(fold, ev, p, ch, notices)
        elif kind in ("run_state", "budget"):
            ch.header = True
            ch.board |= kind == "run_state"
        elif kind == "private_revealed":
            ch.board = True
            notices.append(
                Notice("Private scores are revealed on the leaderboard.", title="Private scores")
            )
        elif kind == "forum_post":
            self.posts[p.post.id] = p.post
            ch.forum = True
        elif kind == "command" and p.status == "refused":
            what = p.command.get("command", "command")
            notices.append(
                Notice(
                    f"{what} refused: {p.reason or 'no reason given'}", "warning", "Command refused"
                )
            )
        if row is not None:
            self._apply_agent_event(ev, row, p, ch, notices)

    def _apply_board(
        self, fold: Projection, ev: Event, p: Any, ch: Changes, notices: list[Notice]
    ) -> None:
        """A change of the leaderboard: every agent's best PGR may move with it."""
        before = self.best_pgr
        self._recompute_best()
        for agent_id, row in self.agents.items():
            info = fold.agents.get(agent_id)
            if info is not None and info is not row.info:
                row.info = info
                ch.agents.add(agent_id)
        ch.board = ch.header = True
        aid = ev.agent_id or "?"
        if p.kind == "watch_flag":
            detail = f": {p.detail}" if p.detail else ""
            notices.append(Notice(f"{aid} flagged by the watch{detail}", "warning", "Watch"))
        if p.kind != "submission":
            return
        if p.flags:
            notices.append(
                Notice(
                    f"{aid}: submission #{p.submission_id} flagged {', '.join(p.flags)}",
                    "warning",
                    "Flagged submission",
                )
            )
        best = self.best_pgr
        if best is not None and (before is None or best > before):
            notices.append(
                Notice(
                    f"{aid} reached public PGR {best:.3f} (#{p.submission_id})",
                    title="New best PGR",
                )
            )

    def _recompute_best(self) -> None:
        """The best public PGR over the run's time: each rise of the best ranked one."""
        self.best_history = []
        best: float | None = None
        for entry in sorted(self.submissions.values(), key=lambda e: e.ts):
            pgr = entry.public.pgr if entry.rank is not None else None
            if pgr is not None and (best is None or pgr > best):
                best = pgr
                self.best_history.append((entry.ts, pgr))

    def _apply_agent_event(
        self, ev: Event, row: AgentRow, p: Any, ch: Changes, notices: list[Notice]
    ) -> None:
        """What an agent's event shows on screen; its counters are the projection's."""
        kind = p.kind
        aid = row.id
        ch.agents.add(aid)
        if kind in ("agent_hold", "usage", "budget", "watch_flag"):
            return
        if kind == "sandbox_stats":
            row.stats = {
                "cpu_percent": p.cpu_percent,
                "memory_bytes": p.memory_bytes,
                "pids": p.pids,
                "gpu": p.gpu,
            }
            return
        if kind == "agent_attention":
            if p.needs_attention:
                detail = p.detail or p.reason.replace("_", " ")
                notices.append(
                    Notice(f"{aid} needs attention: {detail}", "warning", "Needs attention")
                )
            return
        pane = self._pane(aid, ch)
        if kind == "agent_state":
            state, row.shown_state = str(p.state), ""
            ch.header = True
            pane.add_line("state", f"— {p.state}" + (f": {p.reason}" if p.reason else ""))
            if state == "running":
                row.cut = ""
            elif row.experiment is not None and state in ("paused", "stopped", "failed"):
                # The engine forgets an experiment cut short and sends no event for it.
                exp_id, _config, about = row.experiment
                why = "the hard pause" if state == "paused" else f"the agent {state}"
                row.cut = f"exp #{exp_id} cut short by {why}, not recorded: {about}"
                row.experiment = None
                pane.add_line("bad", "✗ " + row.cut)
            return
        if kind == "text_delta":
            pane.stream("text", p.text)
            row.step = "writing"
        elif kind == "thinking_delta":
            pane.stream("thinking", p.text)
            row.step = "thinking"
        elif kind == "tool_call":
            row.step = describe_call(p.tool, p.input)
            pane.add_line("tool", "▶ " + row.step)
        elif kind == "command_output":
            pane.add_line("err" if p.stream == "stderr" else "out", p.line)
        elif kind == "experiment_started":
            row.step = f"experiment #{p.experiment_id}"
            about = describe_config(p.config, row.last_config)
            row.experiment = (p.experiment_id, p.config, about)
            pane.add_line("tool", f"⚗ exp #{p.experiment_id} {about} …")
        elif kind == "experiment_finished":
            row.step = f"experiment #{p.experiment_id} " + ("done" if p.ok else "failed")
            about = ""
            if row.experiment is not None and row.experiment[0] == p.experiment_id:
                _id, config, about = row.experiment
                row.last_config, row.experiment = (p.experiment_id, config), None
            mark = "✓" if p.ok else "✗"
            line = f"{mark} exp #{p.experiment_id} {about} {describe_outcome(p)}"
            pane.add_line("good" if p.ok else "bad", " ".join(line.split()))
        elif kind == "submission":
            row.step = f"submitted #{p.submission_id}"
            pane.add_line("good" if not p.flags else "bad", describe_event(p))
        elif kind == "tool_result":
            pane.add_line("out" if p.ok else "err", describe_event(p))
        elif kind == "command":
            pane.add_line("cmd", describe_event(p))
            if p.command.get("command") == "redirect" and p.status != "refused":
                text = str(p.command.get("text") or "").strip()
                if text:  # the direction shown is the latest the supervisor gave
                    row.redirected = short(text.splitlines()[0], 120)
        elif kind == "error":
            pane.add_line("bad", describe_event(p))
            if p.fatal:
                notices.append(Notice(f"{aid}: {p.message}", "error", "Agent failed"))


def _find_accuracy(data: Any, which: str) -> float | None:
    """Accuracy of `which` ("weak" or "ceiling"/"strong") in a baselines dict of any nesting."""
    if not isinstance(data, dict):
        return None
    names = {"weak": ("weak",), "ceiling": ("ceiling", "strong")}[which]
    for key, value in data.items():
        if any(n in key.lower() for n in names):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, dict):
                for sub in ("accuracy", "acc", "mean", "accuracy_mean"):
                    if isinstance(value.get(sub), int | float):
                        return float(value[sub])
    return None

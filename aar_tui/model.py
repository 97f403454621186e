"""The app's picture of a run: a snapshot, brought up to date by events, one batch per frame.

`RunModel` is plain data with no widgets in it: `load(snapshot)` then `apply(events)`.
Each apply records what changed (`Changes`) so the screens redraw only that, and what
deserves a toast (`Notice`). Everything the screens show comes from here or from the
view's on-demand reads (transcripts, forum threads).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aar_tui.activity import ActivityBuffer
from aar_tui.describe import (
    describe_call,
    describe_config,
    describe_event,
    describe_outcome,
    short,
)
from aar_tui.rows import AgentRow, Changes, Notice, SubmissionRow
from engine.events import BudgetPayload, Event, ForumPost
from engine.view import Budgets, RunInfo, Snapshot

__all__ = ["AgentRow", "Changes", "Notice", "RunModel", "SubmissionRow"]

# Raw events kept for the events screen; older ones are dropped (the log keeps them all).
EVENT_LOG_LINES = 5000


class RunModel:
    """Current state of one run as seen through an `EngineView`."""

    def __init__(self) -> None:
        self.seq = 0
        self.run: RunInfo | None = None
        self.budgets = Budgets()
        self.agents: dict[str, AgentRow] = {}
        self.activity: dict[str, ActivityBuffer] = {}
        self.submissions: dict[int, SubmissionRow] = {}
        self.posts: dict[int, ForumPost] = {}
        self.best_history: list[tuple[float, float]] = []
        self.log: deque[Event] = deque(maxlen=EVENT_LOG_LINES)
        self.log_version = 0

    # ---- loading ------------------------------------------------------------------

    def load(self, snap: Snapshot) -> None:
        self.seq = snap.seq
        self.run = snap.run
        self.budgets = snap.budgets
        self.agents = {a.id: AgentRow.from_info(a) for a in snap.agents}
        for agent_id in self.agents:
            self.activity.setdefault(agent_id, ActivityBuffer())
        self.submissions = {e.submission_id: SubmissionRow.from_entry(e) for e in snap.leaderboard}
        self._recompute_best()

    def prefill(self, agent_id: str, events: Iterable[Event]) -> None:
        """Fill an agent's pane with its recent past (events up to the snapshot's seq).

        Only the pane, the current step and what the events alone tell (the experiment in
        flight, the latest redirect) change: the counters are the snapshot's.
        """
        row = self.agents.get(agent_id)
        if row is None:
            return
        scratch = replace(row)
        for event in events:
            if event.seq <= self.seq and event.agent_id == agent_id:
                self._apply_agent_event(event, scratch, event.payload, Changes(), [])
        row.step, row.direction, row.cut = scratch.step, scratch.direction, scratch.cut
        row.experiment, row.last_config = scratch.experiment, scratch.last_config

    def add_posts(self, posts: Iterable[ForumPost]) -> None:
        for post in posts:
            self.posts[post.id] = post

    # ---- derived ------------------------------------------------------------------

    @property
    def best_pgr(self) -> float | None:
        return self.best_history[-1][1] if self.best_history else None

    def state_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.agents.values():
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    def ranked_submissions(self) -> list[SubmissionRow]:
        """Ranked first by public PGR (then accuracy), flagged and voided ones after."""

        def key(r: SubmissionRow) -> tuple[int, float, float, float]:
            pgr = r.public.pgr if r.public and r.public.pgr is not None else float("-inf")
            acc = r.public.accuracy if r.public else float("-inf")
            return (0 if r.ranked else 1, -pgr, -acc, r.ts)

        return sorted(self.submissions.values(), key=key)

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
        for event in events:
            if event.seq <= self.seq:
                continue  # already in the snapshot, or a resend after a reconnect
            self.seq = event.seq
            self.log.append(event)
            changes.events += 1
            self._apply_one(event, changes, notices)
        if changes.events:
            self.log_version += 1
        return changes, notices

    def _agent(self, agent_id: str | None) -> AgentRow | None:
        return self.agents.get(agent_id) if agent_id else None

    def _pane(self, agent_id: str, changes: Changes) -> ActivityBuffer:
        changes.panes.add(agent_id)
        return self.activity.setdefault(agent_id, ActivityBuffer())

    def _apply_one(self, ev: Event, ch: Changes, notices: list[Notice]) -> None:
        p: Any = ev.payload
        kind = p.kind
        aid = ev.agent_id
        row = self._agent(aid)
        if kind == "run_state":
            self._apply_run_state(ev, p, ch)
        elif kind == "agent_added" and aid:
            self.agents[aid] = AgentRow(
                aid, p.direction, p.brain, "starting", model=p.model, sandbox=p.sandbox_backend
            )
            self.activity.setdefault(aid, ActivityBuffer())
            ch.agents_added = ch.header = True
        elif kind == "budget":
            self._apply_budget(p, ch)
        elif kind == "submission":
            self._apply_submission(ev, p, ch, notices)
        elif kind == "submission_voided":
            sub = self.submissions.get(p.submission_id)
            if sub:
                sub.voided, sub.void_reason = True, p.reason
                self._recompute_best()
            ch.board = ch.header = True
        elif kind == "reproduction":
            if sub := self.submissions.get(p.submission_id):
                sub.reproduced = p.reproduced
                sub.flags += tuple(f for f in p.reproduced.flags if f not in sub.flags)
            ch.board = True
        elif kind == "private_revealed":
            for s in p.scores:
                if sub := self.submissions.get(s.submission_id):
                    sub.private = s.private
            if self.run:
                self.run = self.run.model_copy(update={"private_revealed": True})
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
        if row is None or aid is None:
            return
        self._apply_agent_event(ev, row, p, ch, notices)

    def _apply_run_state(self, ev: Event, p: Any, ch: Changes) -> None:
        if self.run is None:
            return
        update: dict[str, Any] = {"state": p.state}
        if p.state == "running" and self.run.started_at is None:
            update["started_at"] = ev.ts  # a snapshot taken before the start has none
        for name in ("deadline", "task_id", "baselines"):
            value = getattr(p, name, None)
            if value is not None:
                update[name] = value
        self.run = self.run.model_copy(update=update)
        ch.header = ch.board = True

    def _apply_budget(self, p: BudgetPayload, ch: Changes) -> None:
        # Only the fields the event sets: one of an older run has some of them.
        given = p.limits.model_dump(exclude_unset=True) | p.spend.model_dump(exclude_unset=True)
        self.budgets = self.budgets.model_copy(update=given)
        ch.header = True

    def _apply_submission(self, ev: Event, p: Any, ch: Changes, notices: list[Notice]) -> None:
        aid = ev.agent_id or "?"
        before = self.best_pgr
        row = SubmissionRow(
            p.submission_id,
            aid,
            p.method,
            ev.ts,
            p.public,
            flags=tuple(p.flags),
            experiment_digest=p.experiment_digest,
        )
        self.submissions[p.submission_id] = row
        ch.board = ch.header = True
        if row.flags:
            notices.append(
                Notice(
                    f"{aid}: submission #{row.id} flagged {', '.join(row.flags)}",
                    "warning",
                    "Flagged submission",
                )
            )
        pgr = row.public.pgr if row.ranked and row.public else None
        if pgr is not None and (before is None or pgr > before):
            self.best_history.append((ev.ts, pgr))
            notices.append(
                Notice(f"{aid} reached public PGR {pgr:.3f} (#{row.id})", title="New best PGR")
            )

    def _recompute_best(self) -> None:
        self.best_history = []
        best: float | None = None
        for row in sorted(self.submissions.values(), key=lambda r: r.ts):
            pgr = row.public.pgr if row.ranked and row.public else None
            if pgr is not None and (best is None or pgr > best):
                best = pgr
                self.best_history.append((row.ts, pgr))

    def _apply_agent_event(
        self, ev: Event, row: AgentRow, p: Any, ch: Changes, notices: list[Notice]
    ) -> None:
        kind = p.kind
        aid = row.id
        if kind == "agent_hold":
            if p.held:
                row.holds[p.reason] = (p.by, p.detail, ev.ts)
            else:
                row.holds.pop(p.reason, None)
            ch.agents.add(aid)
            return
        pane = self._pane(aid, ch) if kind not in ("sandbox_stats", "usage", "budget") else None
        if kind == "agent_state":
            row.state, row.state_reason = str(p.state), p.reason
            ch.header = True
            ch.agents.add(aid)
            assert pane is not None
            pane.add_line("state", f"— {p.state}" + (f": {p.reason}" if p.reason else ""))
            if row.state == "running":
                row.cut = ""
            elif row.experiment is not None and row.state in ("paused", "stopped", "failed"):
                # The engine forgets an experiment cut short and sends no event for it.
                exp_id, _config, about = row.experiment
                why = "the hard pause" if row.state == "paused" else f"the agent {row.state}"
                row.cut = f"exp #{exp_id} cut short by {why}, not recorded: {about}"
                row.experiment = None
                pane.add_line("bad", "✗ " + row.cut)
            return
        if kind == "agent_attention":
            row.attention = (p.reason or "attention") if p.needs_attention else ""
            ch.agents.add(aid)
            if p.needs_attention:
                detail = p.detail or p.reason.replace("_", " ")
                notices.append(
                    Notice(f"{aid} needs attention: {detail}", "warning", "Needs attention")
                )
            return
        if kind == "sandbox_stats":
            row.stats = {
                "cpu_percent": p.cpu_percent,
                "memory_bytes": p.memory_bytes,
                "pids": p.pids,
                "gpu": p.gpu,
            }
            ch.agents.add(aid)
            return
        if kind == "usage":
            row.tokens += getattr(p, "tokens_in", 0) + getattr(p, "tokens_out", 0)
            row.cost += getattr(p, "cost_usd", 0.0)
            ch.agents.add(aid)
            return
        assert pane is not None
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
            if p.ok:
                row.experiments += 1
            row.step = f"experiment #{p.experiment_id} " + ("done" if p.ok else "failed")
            about = ""
            if row.experiment is not None and row.experiment[0] == p.experiment_id:
                _id, config, about = row.experiment
                row.last_config, row.experiment = (p.experiment_id, config), None
            mark = "✓" if p.ok else "✗"
            line = f"{mark} exp #{p.experiment_id} {about} {describe_outcome(p)}"
            pane.add_line("good" if p.ok else "bad", " ".join(line.split()))
        elif kind == "submission":
            row.submissions += 1
            row.step = f"submitted #{p.submission_id}"
            pgr = p.public.pgr if p.public and not p.flags else None
            if pgr is not None and (row.best_pgr is None or pgr > row.best_pgr):
                row.best_pgr = pgr
            pane.add_line("good" if not p.flags else "bad", describe_event(p))
        elif kind == "tool_result":
            pane.add_line("out" if p.ok else "err", describe_event(p))
        elif kind == "command":
            pane.add_line("cmd", describe_event(p))
            if p.command.get("command") == "redirect" and p.status != "refused":
                text = str(p.command.get("text") or "").strip()
                if text:  # the direction shown is the latest the supervisor gave
                    row.direction = short(text.splitlines()[0], 120)
        elif kind == "error":
            pane.add_line("bad", describe_event(p))
            if p.fatal:
                notices.append(Notice(f"{aid}: {p.message}", "error", "Agent failed"))
        ch.agents.add(aid)


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

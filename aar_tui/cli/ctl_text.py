"""How `aar ctl` prints a run's records for a person: agents, holds, transcripts, posts, the
leaderboard. `--json` prints the records themselves instead."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # engine is imported only when a verb runs, so `aar --help` stays quick
    from engine.events import Event, ForumPost, Reproduced
    from engine.view import AgentInfo, Hold, LeaderboardEntry


def pgr_text(value: float | None) -> str:
    """A PGR in ctl's tables, where an undefined one is "-"."""
    from engine.texts import pgr_text as text

    return text(value, "-")


def agents_text(agents: Iterable[AgentInfo]) -> str:
    rows = [f"{'ID':<6} {'STATE':<9} {'PGR':>6} {'STEPS':>6} {'SUBS':>5}  DIRECTION"]
    for a in agents:
        flag = " !" + a.attention_reason if a.needs_attention else ""
        rows.append(
            f"{a.id:<6} {a.state:<9} {pgr_text(a.best_public_pgr):>6} "
            f"{a.counters.steps:>6} {a.counters.submissions:>5}  {a.direction[:60]}{flag}"
        )
    return "\n".join(rows)


def agent_text(agent: AgentInfo, transcript: list[Event]) -> str:
    """One agent, its holds, and the end of its transcript."""
    lines = [
        agents_text([agent]),
        f"brain {agent.brain}, sandbox {agent.sandbox_backend}",
        f"reason: {agent.state_reason}" if agent.state_reason else "",
        *_holds_lines(agent.holds),
    ]
    for e in transcript:
        p = e.payload
        what = (
            getattr(p, "text", None)
            or getattr(p, "tool", None)
            or getattr(p, "line", None)
            or getattr(p, "state", None)
            or getattr(p, "message", "")
        )
        lines.append(f"{e.seq:>8} {p.kind:<20} {str(what).strip()[:100]}")
    return "\n".join(line for line in lines if line)


def _holds_lines(holds: tuple[Hold, ...]) -> list[str]:
    """Each hold: reason, when and by whom it began, and its end (or that it holds now)."""

    def when(ts: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))

    lines = ["holds:"] if holds else []
    for h in holds:
        end = "holds now" if h.ended is None else f"lifted {when(h.ended)} by {h.ended_by}"
        detail = f" ({h.detail})" if h.detail else ""
        lines.append(f"  {h.reason:<10} from {when(h.started)} by {h.by}, {end}{detail}")
    return lines


def posts_text(posts: list[ForumPost]) -> str:
    return (
        "\n".join(f"#{p.id:<5} {p.kind:<10} {p.author:<12} {p.title}" for p in posts) or "no posts"
    )


def leaderboard_text(entries: list[LeaderboardEntry]) -> str:
    rows = [f"{'RANK':>4} {'SUB':>5} {'AGENT':<6} {'PGR':>7} {'ACC':>6} {'REPRODUCED':<16} METHOD"]
    for e in entries:
        rank = str(e.rank) if e.rank is not None else ("void" if e.voided else "-")
        rows.append(
            f"{rank:>4} {e.submission_id:>5} {e.agent_id:<6} {pgr_text(e.public.pgr):>7} "
            f"{e.public.accuracy:>6.3f} {_reproduced(e.reproduced):<16} {e.method[:50]}"
            + (f"  [{', '.join(e.flags)}]" if e.flags else "")
        )
    return "\n".join(rows)


def _reproduced(r: Reproduced | None) -> str:
    """The reproduced public PGR beside the claimed one: mean ± sd over its seeds."""
    if r is None:
        return "-"
    if r.status == "running":
        return "running"
    if r.public_pgr_mean is None:
        return r.status
    return f"{r.public_pgr_mean:.3f}±{r.public_pgr_sd or 0:.3f} ({len(r.seeds)})"

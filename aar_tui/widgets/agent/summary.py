"""The agent screen's side panel: who the agent is, its state, budget, sandbox, results."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from aar_tui.look import (
    fmt_clock,
    fmt_cost,
    fmt_pgr,
    fmt_tokens,
    state_label,
    state_style,
    theme_colour,
)
from aar_tui.model import RunModel
from engine.limits import EXPERIMENTS_PER_AGENT, SUBMISSIONS_PER_HOUR, TOKENS_PER_AGENT


class AgentSummary(Static):
    DEFAULT_CSS = """
    AgentSummary { padding: 0 1; }
    """

    def show(self, model: RunModel, agent_id: str) -> None:
        row = model.agents.get(agent_id)
        if row is None:
            self.update(f"{agent_id} is not in this run.")
            return
        theme = self.app.current_theme
        muted = "dim"
        head = theme_colour(theme, "primary")
        parts: list[Text | Table] = []

        def new_grid() -> Table:
            table = Table.grid(padding=(0, 1), expand=True)
            table.add_column(style=muted, no_wrap=True, width=12)
            table.add_column(ratio=1, overflow="fold")
            parts.append(table)
            return table

        grid = new_grid()

        def section(title: str) -> None:
            nonlocal grid
            parts.append(Text(title, style="bold " + head, overflow="ellipsis", no_wrap=True))
            grid = new_grid()

        grid.add_row("direction", row.direction)
        grid.add_row("brain", row.brain + (f" ({row.model})" if row.model else ""))
        state = Text(state_label(row.state), style=state_style(theme, row.state))
        if row.state_reason:
            state.append(f" {row.state_reason}", style=muted)
        grid.add_row("state", state)
        if row.cut:
            grid.add_row("cut short", Text(row.cut, style=theme_colour(theme, "error")))
        if row.attention:
            grid.add_row(
                "attention",
                Text(row.attention.replace("_", " "), style=theme_colour(theme, "warning")),
            )
        for reason, (by, detail, since) in row.holds.items():
            began = fmt_clock(since, model.run.started_at if model.run else None)
            held = Text(f"{reason} by {by} since {began}")
            if detail:
                held.append(f": {detail}", style=muted)
            grid.add_row("held", held)
        grid.add_row("step", row.step or "—")
        section("Budget")
        b = model.budgets
        most_tokens = b.limit(TOKENS_PER_AGENT)
        most_experiments = b.limit(EXPERIMENTS_PER_AGENT)
        tokens = fmt_tokens(row.tokens) + (
            f" / {fmt_tokens(int(most_tokens))}" if most_tokens else ""
        )
        grid.add_row("tokens", tokens)
        grid.add_row("cost", fmt_cost(row.cost))
        exps = str(row.experiments) + (f" / {most_experiments}" if most_experiments else "")
        grid.add_row("experiments", exps)
        grid.add_row("submit rate", f"{b.limit(SUBMISSIONS_PER_HOUR)}/h")
        section("Sandbox")
        grid.add_row("backend", row.sandbox or "—")
        if row.stats:
            mem = row.stats.get("memory_bytes", 0) / 2**20
            grid.add_row("cpu", f"{row.stats.get('cpu_percent', 0):.0f}%")
            grid.add_row("memory", f"{mem:.0f} MiB")
            grid.add_row("pids", str(row.stats.get("pids", 0)))
        else:
            grid.add_row("stats", "none yet")
        section(f"Submissions ({row.submissions}) · best {fmt_pgr(row.best_pgr)}")
        start = model.run.started_at if model.run else None
        subs = [s for s in model.submissions.values() if s.agent_id == agent_id]
        for sub in sorted(subs, key=lambda s: s.ts, reverse=True)[:8]:
            pgr = fmt_pgr(sub.public.pgr if sub.public else None)
            mark = " void" if sub.voided else (f" {','.join(sub.flags)}" if sub.flags else "")
            grid.add_row(f"#{sub.submission_id} {fmt_clock(sub.ts, start)}", f"PGR {pgr}{mark}")
        posts = [p for p in model.posts.values() if p.author == agent_id]
        section(f"Forum posts ({len(posts)})")
        for post in sorted(posts, key=lambda p: p.ts, reverse=True)[:8]:
            grid.add_row(post.kind, post.title)
        self.update(Group(*parts))

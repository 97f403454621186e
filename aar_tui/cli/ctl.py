"""`aar ctl [--run TARGET] VERB ...`: read and steer a run from scripts, cron or a shell.

Every verb takes `--json`, which prints the API schema's records (an agent has `id` and
`state`), one JSON document on stdout. Exit codes: 0 done (a command `applied` or
`pending`), 1 the engine refused the command, 2 bad usage, 3 the run could not be found
or reached, 4 the engine refused the token.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from aar_tui.cli.attach import TARGET_HELP, ssh_option
from aar_tui.cli.checks import run_target
from aar_tui.cli.ctl_text import (
    agent_text,
    agents_text,
    leaderboard_text,
    pgr_text,
    posts_text,
)
from aar_tui.cli.limit_flags import limit_options
from engine.events import HUMAN_POST_KINDS, POST_KINDS
from engine.limits import COST_USD, MINUTES

if TYPE_CHECKING:
    from engine.commands import Command
    from engine.events import Event
    from engine.view import AgentInfo, EngineView, Snapshot

EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_TOKEN = 1, 3, 4
Shown = TypeVar("Shown")


def _dump(obj: object) -> Any:
    if isinstance(obj, list | tuple):
        return [_dump(o) for o in obj]
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return obj


def _call(ctx: click.Context, work: Callable[[EngineView], Awaitable[Shown]]) -> Shown:
    """Run `work(view)` against the target run; turn failures into messages and exit codes."""
    from engine.client import Unauthorized, client_identity
    from engine.config import default_runs_dir
    from engine.errors import EngineError
    from engine.targets import newest_running, open_view

    target = ctx.obj or {}

    async def go() -> Shown:
        # Without --run, steering may reach only a run that is surely the one meant.
        run = target.get("run") or newest_running(default_runs_dir(), only_one=True)
        async with open_view(
            run,
            ssh_options=target.get("ssh_options", ()),
            issued_by=f"ctl:{client_identity()}"[:64],
        ) as view:
            return await work(view)

    try:
        return asyncio.run(go())
    except Unauthorized as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_TOKEN)
    except EngineError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNREACHABLE)


def _out(as_json: bool, obj: Shown, text: Callable[[Shown], str]) -> None:
    click.echo(json.dumps(_dump(obj), indent=2) if as_json else text(obj))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group(epilog=TARGET_HELP)
@click.option(
    "--run",
    "run",
    metavar="TARGET",
    callback=run_target,
    help="The run to talk to (default: the one running run `aar runs` lists).",
)
@ssh_option
@click.pass_context
def ctl(ctx: click.Context, run: str | None, ssh_options: tuple[str, ...]) -> None:
    """Read and steer a run from the shell: status, agents, pause, redirect, forum ..."""
    ctx.obj = {"run": run, "ssh_options": ssh_options}


# ---- reading ---------------------------------------------------------------------------


def _status_text(snap: Snapshot) -> str:
    run = snap.run
    states: dict[str, int] = {}
    for agent in snap.agents:
        states[agent.state] = states.get(agent.state, 0) + 1
    best = max(
        (a.best_public_pgr for a in snap.agents if a.best_public_pgr is not None), default=None
    )
    b = snap.budgets
    minutes, cost = b.limit(MINUTES), b.limit(COST_USD)
    lines = [
        f"run      {run.name} ({run.state}), task {run.task}, brain {run.brain}",
        f"dir      {run.run_dir}",
        "agents   " + (", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "none"),
        f"best PGR {pgr_text(best)} (public)",
        f"budget   {b.elapsed_minutes:.1f} of {minutes or '∞'} min, "
        f"{b.experiments_used} experiments, {b.submissions_used} submissions, "
        f"${b.cost_used_usd:.2f}" + (f" of ${cost:.2f}" if cost else ""),
        f"spent    {b.tokens_used:,} tokens, {b.gpu_hours_used:.2f} GPU-hours"
        + (f"; paused: {b.paused_reason}" if b.paused_reason else ""),
        f"seq      {snap.seq}",
    ]
    return "\n".join(lines)


@ctl.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """The run: state, agents by state, best PGR, budgets (--json: the snapshot)."""
    snap = _call(ctx, lambda v: v.snapshot())
    _out(as_json, snap, _status_text)


@ctl.command()
@json_option
@click.pass_context
def agents(ctx: click.Context, as_json: bool) -> None:
    """Every agent: id, state, best public PGR, steps, submissions, direction."""
    _out(as_json, _call(ctx, _agents), agents_text)


async def _agents(view: EngineView) -> list[AgentInfo]:
    return list((await view.snapshot()).agents)


@ctl.command()
@click.argument("agent_id")
@click.option(
    "--events",
    "n_events",
    type=click.IntRange(0, 5000),
    default=20,
    help="How many of its latest transcript events to show.",
)
@json_option
@click.pass_context
def show(ctx: click.Context, agent_id: str, n_events: int, as_json: bool) -> None:
    """One agent and the end of its transcript."""

    async def work(view: EngineView) -> dict[str, Any]:
        from engine.errors import EngineError

        agents = (await view.snapshot()).agents
        agent = next((a for a in agents if a.id == agent_id), None)
        if agent is None:
            known = ", ".join(a.id for a in agents) or "none yet"
            raise EngineError(f"there is no agent {agent_id!r} (agents: {known})")
        events: list[Event] = []
        after = 0
        while True:  # page through, keeping the latest
            page = await view.transcript(agent_id, after_seq=after, limit=5000)
            events = (events + page)[-n_events:] if n_events else []
            if len(page) < 5000:
                break
            after = page[-1].seq
        return {"agent": agent, "transcript": events}

    result = _call(ctx, work)
    click.echo(
        json.dumps({k: _dump(v) for k, v in result.items()}, indent=2)
        if as_json
        else agent_text(**result)
    )


@ctl.command()
@click.option("--search", "query", help="Full-text search over titles, bodies and tags.")
@click.option("--kind", type=click.Choice(POST_KINDS))
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@json_option
@click.pass_context
def forum(
    ctx: click.Context, query: str | None, kind: str | None, limit: int, as_json: bool
) -> None:
    """The forum's latest posts, or those matching --search."""
    if query:
        posts = _call(ctx, lambda v: v.forum_search(query, min(limit, 200)))
    else:
        posts = _call(ctx, lambda v: v.forum_list(kind=kind, limit=limit))
    _out(as_json, posts, posts_text)


@ctl.command()
@click.argument("title")
@click.argument("body")
@click.option("--kind", type=click.Choice(HUMAN_POST_KINDS), default="note")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@json_option
@click.pass_context
def post(
    ctx: click.Context, title: str, body: str, kind: str, tags: tuple[str, ...], as_json: bool
) -> None:
    """Post on the forum as the supervisor."""
    posted = _call(ctx, lambda v: v.forum_post(title, body, kind=kind, tags=tags))
    _out(as_json, posted, lambda p: f"posted #{p.id}: {p.title}")


@ctl.command()
@json_option
@click.pass_context
def leaderboard(ctx: click.Context, as_json: bool) -> None:
    """Submissions by public PGR (flagged and voided ones listed, not ranked)."""
    _out(as_json, _call(ctx, lambda v: v.leaderboard()), leaderboard_text)


# ---- steering ----------------------------------------------------------------------------


def _command(ctx: click.Context, cmd: Command, as_json: bool) -> None:
    result = _call(ctx, lambda v: v.command(cmd))
    _out(
        as_json,
        result,
        lambda r: f"{cmd.command}: {r.status}" + (f" ({r.reason})" if r.reason else ""),
    )
    if result.status == "refused":
        sys.exit(EXIT_REFUSED)


def _steer(
    name: str, help_text: str, build: Callable[..., Any], params: list[Callable[[Any], Any]]
) -> None:
    """A verb that sends one command built from its arguments."""

    @click.pass_context
    def verb(ctx: click.Context, as_json: bool, **kwargs: Any) -> None:
        from pydantic import ValidationError

        try:
            cmd = build(**kwargs)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            raise click.UsageError(problems) from None
        _command(ctx, cmd, as_json)

    verb.__doc__ = help_text
    for param in reversed([*params, json_option]):
        verb = param(verb)
    ctl.command(name)(verb)


def _commands() -> Any:
    from engine import commands

    return commands


_steer(
    "pause",
    "Pause an agent: at its next step, or at once with --hard.",
    lambda agent_id, hard: _commands().Pause(agent_id=agent_id, hard=hard),
    [
        click.argument("agent_id"),
        click.option("--hard", is_flag=True, help="Cancel its model call and freeze it now."),
    ],
)
_steer(
    "resume",
    "Resume a paused agent.",
    lambda agent_id: _commands().Resume(agent_id=agent_id),
    [click.argument("agent_id")],
)
_steer(
    "stop",
    "Stop an agent for good.",
    lambda agent_id: _commands().Stop(agent_id=agent_id),
    [click.argument("agent_id")],
)
_steer(
    "redirect",
    "Give an agent a new instruction, read at its next step.",
    lambda agent_id, text: _commands().Redirect(agent_id=agent_id, text=text),
    [click.argument("agent_id"), click.argument("text")],
)
_steer(
    "spawn",
    "Add an agent with this starting direction.",
    lambda direction, brain: _commands().Spawn(direction=direction, brain=brain),
    [
        click.argument("direction"),
        click.option("--brain", type=click.Choice(["offline", "claude", "scripted"])),
    ],
)
_steer(
    "broadcast",
    "Post to the forum and tell every agent.",
    lambda text: _commands().Broadcast(text=text),
    [click.argument("text")],
)
_steer(
    "pause-all",
    "Pause every live agent (--hard: at once).",
    lambda hard: _commands().PauseAll(hard=hard),
    [click.option("--hard", is_flag=True, help="Cancel model calls and freeze now.")],
)
_steer("resume-all", "Resume every paused agent.", lambda: _commands().ResumeAll(), [])
_steer(
    "budget",
    "Change the run's limits; options left out stay as they are.",
    lambda **kw: _commands().SetBudget(**{k: v for k, v in kw.items() if v is not None}),
    limit_options(),
)
_steer(
    "void",
    "Strike a submission from the leaderboard.",
    lambda submission, reason: _commands().VoidSubmission(submission_id=submission, reason=reason),
    [click.argument("submission", type=int), click.argument("reason")],
)
_steer(
    "reproduce",
    "Reproduce a submission over seeds in fresh sandboxes; `leaderboard` then shows"
    " claimed beside reproduced.",
    lambda submission: _commands().Reproduce(submission_id=submission),
    [click.argument("submission", type=int)],
)
_steer(
    "reveal",
    "Reveal the private scores (for the final ranking).",
    lambda: _commands().RevealPrivate(),
    [],
)
_steer(
    "finish",
    "Stop every agent and end the run.",
    lambda reason: _commands().FinishRun(reason=reason),
    [click.option("--reason", default="finished by the supervisor")],
)

"""`aar run`: start a swarm on a task, in the supervisor app or headless with progress lines."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from aar_tui.cli.checks import MINUTES, run_target
from aar_tui.cli.limit_flags import LEFT_TO_MINUTES, with_limit_options
from engine import limits
from engine.commands import FinishRun
from engine.events import Event
from engine.run.options import ResumeOptions
from engine.texts import config_text, pgr_text
from engine.view import EngineView, LeaderboardEntry

if TYPE_CHECKING:
    from aar_tui.app import AarApp
    from engine.config import RunConfig
    from engine.runtime import Engine

Wrapped = TypeVar("Wrapped", bound=Callable[..., Any])


def _overrides(**flags: Any) -> dict[str, Any]:
    """The flags given, laid out like the TOML config they override."""
    out: dict[str, Any] = {}
    layout = {
        "agents": ("agents", "count"),
        "brain": ("agents", "brain"),
        "model": ("agents", "model"),
        "sandbox": ("sandbox", "backend"),
        "task": ("task",),
        "data": ("data",),
        "run_dir": ("run_dir",),
        "name": ("name",),
        "allow_unisolated": ("sandbox", "allow_unisolated"),
        "image": ("sandbox", "image"),
        "gpus": ("sandbox", "gpus"),
        "models": ("models",),
    } | {limit.name: (limit.section, limit.name) for limit in limits.LIMITS}
    for flag, value in flags.items():
        if value is None:
            continue
        if flag == "gpus":
            value = [g.strip() for g in value.split(",") if g.strip()]
        *parents, leaf = layout[flag]
        node = out
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = str(value) if isinstance(value, Path) else value
    return out


def progress_line(event: Event) -> str | None:
    """One line for the events a person following a headless run wants to see."""
    p = event.payload
    who = event.agent_id or "run"
    match p.kind:
        case "run_state":
            return f"[{who}] run {p.state.value}" + (f": {p.reason}" if p.reason else "")
        case "agent_added":
            return f"[{who}] joins ({p.brain}): {p.direction}"
        case "agent_state" if p.state.value in ("paused", "stopped", "finished", "failed"):
            return f"[{who}] {p.state.value}" + (f": {p.reason}" if p.reason else "")
        case "agent_attention" if p.needs_attention:
            return f"[{who}] needs attention: {p.reason} ({p.detail})"
        case "experiment_finished":
            if not p.ok:
                return f"[{who}] experiment {p.digest[:8]} failed: {p.error}"
            agree = p.diagnostics.get("agreement_with_weak_labels")
            tail = f", agreement with weak labels {agree:.3f}" if agree is not None else ""
            reused = " (from the registry)" if p.reused else ""
            return f"[{who}] experiment {p.digest[:8]} done in {p.duration:.1f}s{reused}{tail}"
        case "submission":
            flags = f" flags: {', '.join(p.flags)}" if p.flags else ""
            if p.public is None:
                return f"[{who}] submission {p.submission_id}: no score{flags}"
            return (
                f"[{who}] submission {p.submission_id}: public PGR {pgr_text(p.public.pgr)},"
                f" accuracy {p.public.accuracy:.3f}{flags}"
            )
        case "forum_post":
            return f"[{who}] posts {p.post.kind} #{p.post.id}: {p.post.title}"
        case "command":
            reason = f" ({p.reason})" if p.reason else ""
            return (
                f"[{who}] command {p.command.get('command')} by {p.issued_by}: {p.status}{reason}"
            )
        case "error":
            return f"[{who}] error in {p.where}: {p.message.splitlines()[0][:200]}"
        case "watch_flag":
            return f"[{who}] flagged by the watch ({p.what}): {p.detail[:200]}"
    return None


def leaderboard_table(entries: list[LeaderboardEntry], limit: int = 10) -> str:
    ranked = [e for e in entries if e.rank is not None][:limit]
    if not ranked:
        return "no scored submissions"
    lines = [" rank  agent  sub   PGR    acc    method"]
    for e in ranked:
        lines.append(
            f" {e.rank:>4}  {e.agent_id:<5} {e.submission_id:>4}  {pgr_text(e.public.pgr):>5}  "
            f"{e.public.accuracy:.3f}  {_method(e.method)}"
        )
    return "\n".join(lines)


def _method(text: str) -> str:
    import json

    try:
        config = json.loads(text)
    except ValueError:
        return text[:70]
    if not isinstance(config, dict):
        return text[:70]
    return config_text(config)[:90]


async def _follow(view: EngineView) -> None:
    async for event in view.events(0):
        line = progress_line(event)
        if line:
            click.echo(line)


async def _summary(view: EngineView) -> None:
    snap = await view.snapshot()
    posts = await view.forum_list(limit=1000)
    kinds: dict[str, int] = {}
    for post in posts:
        kinds[post.kind] = kinds.get(post.kind, 0) + 1
    experiments = await view.experiments(limit=5000)
    click.echo("")
    click.echo(f"run {snap.run.run_id} on {snap.run.task_id}: {snap.run.state.value}")
    base = snap.run.baselines
    if base:
        click.echo(
            f"baselines (public half): weak {base.get('weak_public', 0):.3f},"
            f" ceiling {base.get('ceiling_public', 0):.3f}"
        )
    click.echo(
        f"experiments {len(experiments)}, submissions {snap.budgets.submissions_used}, forum "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    click.echo("leaderboard (public scores):")
    click.echo(leaderboard_table(list(snap.leaderboard)))
    click.echo(f"run directory: {snap.run.run_dir}")


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def run_headless(engine: Engine, minutes: float | None) -> None:
    view = engine.view()
    loop = asyncio.get_running_loop()
    # SIGINT / SIGTERM: no new steps, every agent stops, sandboxes go (or stay), exit 0.
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, engine.finish, f"interrupted ({sig.name})")
    follower = asyncio.create_task(_follow(view))
    try:
        await engine.run(minutes)
    finally:
        await asyncio.sleep(0.2)  # let the last committed events print
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        for sig in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
    await _summary(view)


async def run_with_app(
    engine: Engine, minutes: float | None, app_class: type[AarApp], theme: str | None = None
) -> None:
    app = app_class(engine.view(), theme=theme, crash_dir=engine.run_dir)
    with contextlib.suppress(NotImplementedError):
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, engine.finish, "interrupted (SIGTERM)"
        )
    runner = asyncio.create_task(engine.run(minutes))
    try:
        # The app is keyboard-first; leaving the mouse to the terminal keeps text selectable.
        await app.run_async(mouse=False)
    finally:
        if not runner.done():
            await engine.command(FinishRun(reason="the supervisor closed the app"))
        await runner


def _app_class() -> type[AarApp] | None:
    """The supervisor app, if this install has it and there is a terminal to draw it on."""
    if not sys.stdout.isatty():
        return None
    try:
        from aar_tui.app import AarApp
    except ImportError:
        return None
    return AarApp


async def open_engine(config: RunConfig, durability: ResumeOptions) -> tuple[Engine, float | None]:
    """A new run, or the run `durability.resume` names, and the minutes it runs for."""
    from engine.isolation import limits_line
    from engine.runtime import Engine

    keep = durability.keep_sandboxes
    target = durability.resume
    if target is None:
        click.echo(f"preparing task {config.task} ...")
        engine = await Engine.open(config, keep_sandboxes=keep)
        click.echo(limits_line(engine.config))
        return engine, config.limit(limits.MINUTES)
    from engine.resume import resume_engine

    engine = await resume_engine(target, keep_sandboxes=keep)
    minutes = durability.minutes
    if minutes is None:
        deadline = engine.projection.run.deadline
        left = (deadline - time.time()) / 60 if deadline else None
        if left is not None and left <= 0:
            await engine.close()
            raise click.ClickException(
                "the run's time is up: give --minutes M to run it for M more minutes"
            )
        minutes = left
    click.echo(f"resuming run {engine.run_id} at seq {engine.events.committed_seq}")
    click.echo(limits_line(engine.config))
    return engine, minutes


async def _main(
    config: RunConfig,
    headless: bool,
    theme: str | None = None,
    durability: ResumeOptions | None = None,
) -> None:
    from engine.alerts import alerting
    from engine.api import serve_api

    durability = durability or ResumeOptions()
    engine, minutes = await open_engine(config, durability)
    try:
        # The API on the run's socket, so `aar attach` and `aar ctl` reach this run too.
        async with (
            serve_api(engine.view(), engine.run_dir, run_id=engine.run_id),
            alerting(engine, durability.on_attention),
        ):
            app = None if headless else _app_class()
            if not headless and app is None:
                click.echo("the supervisor app is not available here; running headless")
            if app is None:
                click.echo(f"run {engine.run_id} in {engine.run_dir}")
                await run_headless(engine, minutes)
            else:
                await run_with_app(engine, minutes, app, theme)
    finally:
        await engine.close()


def durability_options(fn: Wrapped) -> Wrapped:
    """--resume, --keep-sandboxes and --on-attention, shared by `aar run` and `aar serve`."""
    options = [
        click.option(
            "--resume",
            metavar="RUN_DIR",
            callback=run_target,
            help="Go on with a run that stopped (a crash too): its directory or name;"
            " --minutes M runs it M more minutes.",
        ),
        click.option(
            "--keep-sandboxes",
            is_flag=True,
            help="Leave the agents' sandboxes in place when the run ends.",
        ),
        click.option(
            "--on-attention",
            metavar="CMD",
            help="A shell command run when an agent needs attention, a submission is flagged"
            " or the run stopped unexpectedly (AAR_RUN, AAR_AGENT, AAR_REASON in its"
            " environment).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def durability_flags(
    resume: str | None,
    keep_sandboxes: bool,
    on_attention: str | None,
    config_path: Path | None,
    flags: dict[str, Any],
) -> ResumeOptions:
    if resume is not None:
        given = [k for k, v in flags.items() if v is not None and k != "minutes"]
        if given or config_path is not None:
            raise click.UsageError(
                "--resume takes the run's own config: give only --minutes (and the display,"
                f" sandbox and alert flags), not {', '.join(given) or '--config'}"
            )
    return ResumeOptions(
        resume=resume,
        minutes=flags.get("minutes"),
        keep_sandboxes=keep_sandboxes,
        on_attention=on_attention,
    )


@click.command(name="run")
@click.option(
    "--headless", is_flag=True, help="No app: print progress lines and a final leaderboard."
)
@click.option("--agents", type=int, help="How many agents (default 3).")
@click.option("--minutes", type=MINUTES, help="Run length in minutes (fractions allowed).")
@with_limit_options(leave_out=LEFT_TO_MINUTES)
@click.option("--task", help="The task to work on (default toy).")
@click.option("--data", help="Where a dataset-backed task reads its data.")
@click.option("--brain", help="offline (default, no key needed) or claude.")
@click.option("--model", help="The model a claude brain uses.")
@click.option("--sandbox", help="local (default) or docker.")
@click.option(
    "--allow-unisolated",
    is_flag=True,
    default=None,
    help="Run local sandboxes even without bubblewrap (NOT isolated: agents see your files).",
)
@click.option("--image", help="The Docker image of the sandboxes (built from sandbox/Dockerfile).")
@click.option("--gpus", help="Comma-separated GPU indexes, handed out one per agent.")
@click.option(
    "--models",
    type=click.Path(path_type=Path),
    help="A Hugging Face cache folder to read the task's models from.",
)
@click.option("--run-dir", type=click.Path(path_type=Path), help="Where the run keeps its files.")
@click.option("--name", help="The run's name (default: a timestamp).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="A TOML run config; flags override its fields.",
)
@click.option("--theme", help="The app's colour theme, e.g. aar-dark or aar-light.")
@click.option(
    "--foreground",
    is_flag=True,
    help="Keep the engine in the app's process: closing the app finishes the run.",
)
@durability_options
def run(
    headless: bool,
    foreground: bool,
    config_path: Path | None,
    theme: str | None,
    resume: str | None,
    keep_sandboxes: bool,
    on_attention: str | None,
    **flags: Any,
) -> None:
    """Start a swarm of research agents on a task and supervise it."""
    from engine.config import load

    durability = durability_flags(resume, keep_sandboxes, on_attention, config_path, flags)

    if theme is not None and not headless:
        # Checked before the task is prepared, so a typo costs no waiting.
        from aar_tui.themes import check_theme_name, load_themes

        check_theme_name(theme, load_themes())
    config = load(config_path, _overrides(**flags))
    if not headless and not foreground and _app_class() is not None:
        # The engine in a process of its own: the app can crash or lose its terminal.
        from aar_tui.cli.detached import run_detached

        run_detached(config, config_path, flags, durability, theme)
        return
    asyncio.run(_main(config, headless, theme, durability))

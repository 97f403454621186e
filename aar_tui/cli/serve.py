"""`aar serve`: the engine without a screen, serving its API for `aar attach` and `aar ctl`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from engine.run.options import ResumeOptions

from aar_tui.cli.checks import MINUTES
from aar_tui.cli.limit_flags import LEFT_TO_MINUTES, limit_options
from aar_tui.cli.run import Wrapped, durability_options

if TYPE_CHECKING:
    from engine.config import RunConfig
    from engine.view import EngineView


def run_options(fn: Wrapped) -> Wrapped:
    """The run options of `aar run`, with the same names and meaning."""
    options: list[Callable[[Any], Any]] = [
        click.option("--agents", type=int, help="How many agents (default 3)."),
        click.option("--minutes", type=MINUTES, help="Run length in minutes (fractions allowed)."),
        *limit_options(leave_out=LEFT_TO_MINUTES, checked=True),
        click.option("--task", help="The task to work on (default toy)."),
        click.option("--data", help="Where a dataset-backed task reads its data."),
        click.option("--brain", help="offline (default, no key needed), scripted or claude."),
        click.option("--model", help="The model a claude brain uses."),
        click.option("--sandbox", help="local (default) or docker."),
        click.option("--image", help="The Docker image of the sandboxes."),
        click.option("--gpus", help="Comma-separated GPU indexes, handed out one per agent."),
        click.option(
            "--models",
            type=click.Path(path_type=Path),
            help="A Hugging Face cache folder to read the task's models from.",
        ),
        click.option(
            "--allow-unisolated",
            is_flag=True,
            default=None,
            help="Run local sandboxes even without bubblewrap (NOT isolated).",
        ),
        click.option(
            "--run-dir",
            type=click.Path(path_type=Path),
            help="Where the run keeps its files, token and socket.",
        ),
        click.option("--name", help="The run's name (default: a timestamp)."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            help="A TOML run config; flags override its fields.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def warn_if_public(host: str | None) -> None:
    from engine.api import is_loopback

    if host is not None and not is_loopback(host):
        click.echo(
            f"warning: listening on {host}, which is not a loopback address: anyone who can "
            "reach it and holds the token can steer this run. Prefer the socket and ssh.",
            err=True,
        )


@click.command()
@run_options
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Also listen on this TCP port (loopback unless --host; 0: any free port).",
)
@click.option("--host", help="The address for --port; anything but loopback prints a warning.")
@durability_options
def serve(
    port: int | None,
    host: str | None,
    config_path: Path | None,
    resume: str | None,
    keep_sandboxes: bool,
    on_attention: str | None,
    **flags: Any,
) -> None:
    """Run the engine headless and serve its API (the run dir's socket; --port for TCP)."""
    from aar_tui.cli.run import _overrides, durability_flags
    from engine.config import load

    if host is not None and port is None:
        raise click.UsageError("--host needs --port: say which port to listen on")
    durability = durability_flags(resume, keep_sandboxes, on_attention, config_path, flags)
    warn_if_public(host)
    config = load(config_path, _overrides(**flags))
    asyncio.run(_serve(config, port, host, durability))


async def _follow(view: EngineView) -> None:
    from aar_tui.cli.run import progress_line

    async for event in view.events(0):
        line = progress_line(event)
        if line:
            click.echo(line)


async def _serve(
    config: RunConfig, port: int | None, host: str | None, durability: ResumeOptions
) -> None:
    from aar_tui.cli.run import open_engine
    from engine.alerts import alerting
    from engine.api import serve_api

    engine, minutes = await open_engine(config, durability)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, engine.finish, f"stopped by {signal.Signals(sig).name}")
    try:
        async with (
            serve_api(
                engine.view(),
                engine.run_dir,
                run_id=engine.run_id,
                port=port,
                host=host,
            ) as api,
            alerting(engine, durability.on_attention),
        ):
            click.echo(f"run {engine.run_id} in {engine.run_dir}")
            for place in api.where():
                click.echo(f"serving the API on {place}")
            click.echo(f"attach with: aar attach {engine.run_dir}")
            click.echo(f"steer with:  aar ctl --run {engine.run_dir} status")
            click.echo(f"from another machine: aar attach ssh://HOST{engine.run_dir}")
            follower = asyncio.create_task(_follow(engine.view()), name="progress")
            try:
                await engine.run(minutes)
            finally:
                follower.cancel()
            # Let attached clients read the last events before the API goes away.
            await engine.events.flush()
            await asyncio.sleep(0.5)
        click.echo(f"run {engine.run_id} finished")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await engine.close()

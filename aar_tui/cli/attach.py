"""`aar attach [TARGET]`: the supervisor app on a run served elsewhere (another terminal, ssh)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

import click

from aar_tui.cli.checks import run_target

TARGET_HELP = (
    "TARGET is a run name or directory, a socket path, http://127.0.0.1:PORT or "
    "ssh://[user@]host[:port][/run-dir-or-name]; left out, the newest running run."
)

ssh_option = click.option(
    "--ssh-option",
    "ssh_options",
    multiple=True,
    metavar="OPTS",
    help="ssh arguments for ssh:// targets, e.g. '-F FILE', '-i KEY', '-o Key=Value', '-J HOST'"
    " (also AAR_SSH_OPTIONS).",
)


@click.command(epilog=TARGET_HELP)
@click.argument("target", required=False, callback=run_target)
@ssh_option
@click.option("--theme", help="The colour theme (see the app's theme list).")
def attach(target: str | None, ssh_options: tuple[str, ...], theme: str | None) -> None:
    """Open the supervisor app on a running run, here or over ssh."""
    if theme is not None:
        # Checked before connecting, so a typo costs no ssh round trip or password prompt.
        from aar_tui.themes import check_theme_name, load_themes

        check_theme_name(theme, load_themes())
    ended_by: list[signal.Signals] = []
    try:
        asyncio.run(_attach(target, ssh_options, theme, ended_by))
    except asyncio.CancelledError:
        if not ended_by:  # only a signal's end is ours to turn into an exit status
            raise
    if ended_by:
        sys.exit(128 + ended_by[0])


# A closed terminal (SIGHUP) or a kill (SIGTERM) ends the app as a detach would: the ssh
# tunnel is closed and its local socket removed, where Python's default would leave them.
END_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


async def _attach(
    target: str | None,
    ssh_options: tuple[str, ...],
    theme: str | None,
    ended_by: list[signal.Signals],
) -> None:
    from aar_tui.app import AarApp
    from engine.config import default_runs_dir
    from engine.targets import open_view

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    app: AarApp | None = None

    def end(sig: signal.Signals) -> None:
        ended_by.append(sig)
        if app is not None and app.is_running:
            app.exit(return_code=0)
        elif main is not None:
            main.cancel()

    for sig in END_SIGNALS:
        loop.add_signal_handler(sig, end, sig)
    async with open_view(target, ssh_options=ssh_options) as view:
        snap = await view.snapshot()  # a wrong target or token fails here, before the screen
        # A crash's traceback goes beside the run when it is on this machine.
        local = Path(view.where)
        crash_dir = local if local.is_dir() else default_runs_dir().parent / "crashes"
        where = "local" if local.is_dir() else view.where  # as `aar run` shows a local run
        app = AarApp(view, theme=theme, where=where, detachable=True, crash_dir=crash_dir)
        with contextlib.suppress(Exception):  # the app's own errors: reported below
            await app.run_async(mouse=False)  # the terminal keeps the mouse: selection over SSH
    if ended_by:
        return
    again = target or snap.run.name
    if app.return_code:
        saved = f"; its traceback is in {app.crash_file}" if app.crash_file else ""
        click.echo(f"\nthe supervisor app stopped on an error{saved}.", err=True)
        click.echo(f"run {snap.run.name} goes on: aar attach {again}", err=True)
        sys.exit(1)
    if app.return_value == "finish":
        click.echo(f"run {snap.run.name} is finishing; then: aar report {snap.run.name}")
    elif app.return_value == "detach":
        click.echo(f"run {snap.run.name} goes on\n  aar attach {again}\n  aar report {again}")

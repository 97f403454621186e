"""`aar runs`: list the runs on this machine; `rm` and `prune` remove them, asking first."""

from __future__ import annotations

import time
from pathlib import Path

import click


def _runs_dir(path: Path | None) -> Path:
    from engine.config import default_runs_dir

    return path or default_runs_dir()


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


runs_dir_option = click.option(
    "--runs-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the runs are (default: the user's data directory).",
)


@click.group(invoke_without_command=True)
@runs_dir_option
@click.pass_context
def runs(ctx: click.Context, runs_dir: Path | None) -> None:
    """List runs: name, task, state, agents, best private PGR once revealed, started, size."""
    ctx.obj = _runs_dir(runs_dir)
    if ctx.invoked_subcommand is not None:
        return
    from engine.runs import list_runs
    from engine.texts import pgr_text

    found = list_runs(ctx.obj)
    if not found:
        click.echo(f"no runs in {ctx.obj}")
        return
    click.echo(
        f"{'name':<34} {'task':<10} {'state':<9} {'agents':>6} {'private':>7}  "
        f"{'started':<16} {'size':>9}"
    )
    for r in found:
        best = pgr_text(r.best_private_pgr, "-")
        click.echo(
            f"{r.name:<34} {r.task[:10]:<10} {r.state[:9]:<9} {r.agents:>6} {best:>7}  "
            f"{_when(r.started):<16} {_size(r.size_bytes):>9}"
        )


def _confirm(what: str, yes: bool) -> bool:
    return yes or click.confirm(what, default=False)


@runs.command(name="rm")
@click.argument("names", nargs=-1, required=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask first.")
@click.pass_obj
def rm(runs_dir: Path, names: tuple[str, ...], yes: bool) -> None:
    """Remove runs by name, with their workspaces, snapshots and sandboxes."""
    from engine.runs import find_run, remove_run, summarise

    chosen = [summarise(find_run(runs_dir, name)) for name in names]
    listing = ", ".join(f"{r.name} ({_size(r.size_bytes)})" for r in chosen)
    if not _confirm(f"remove {listing}?", yes):
        click.echo("nothing removed")
        return
    for r in chosen:
        remove_run(r)
        click.echo(f"removed {r.name}")


@runs.command()
@click.option("--older-than", "age", required=True, help="e.g. 30d, 12h, 2w.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask first.")
@click.pass_obj
def prune(runs_dir: Path, age: str, yes: bool) -> None:
    """Remove every run (not running) last active longer ago than --older-than."""
    from engine.runs import list_runs, older_than, parse_age, remove_run

    old = older_than(list_runs(runs_dir), parse_age(age))
    if not old:
        click.echo(f"no run in {runs_dir} is older than {age}")
        return
    total = sum(r.size_bytes for r in old)
    for r in old:
        click.echo(f"  {r.name} ({r.state}, last active {_when(r.last_active)})")
    if not _confirm(f"remove these {len(old)} run(s), {_size(total)}?", yes):
        click.echo("nothing removed")
        return
    for r in old:
        remove_run(r)
    click.echo(f"removed {len(old)} run(s)")

"""`aar report [RUN]`: the Markdown report, the CSV leaderboard and the PGR plot of a run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click


@click.command()
@click.argument("run", required=False)
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), help="Where to write (RUN/report)."
)
@click.option(
    "--top",
    type=click.IntRange(0, 20),
    default=3,
    show_default=True,
    help="How many of the best submissions to reproduce over seeds (0: none).",
)
def report(run: str | None, out: Path | None, top: int) -> None:
    """Write a run's report; RUN is its directory or name (default: the newest run)."""
    from engine.report import write_report
    from engine.resume import find_run_dir
    from engine.texts import pgr_text

    if run is None:
        from engine.config import default_runs_dir
        from engine.errors import EngineError
        from engine.runs import list_runs

        found = list_runs(default_runs_dir())
        if not found:
            raise EngineError(f"no runs in {default_runs_dir()}: give a run directory")
        run = str(found[0].path)
    run_dir = find_run_dir(run)
    if top:
        click.echo(f"reproducing the top {top} submission(s) over seeds in fresh sandboxes ...")
    files = asyncio.run(write_report(run_dir, out_dir=out, top=top))
    for r in files.reproduced[:1]:
        v = r.verdict
        if r.clean and v.private_pgr_mean is not None:
            click.echo(
                f"best method: reproduced private PGR {pgr_text(v.private_pgr_mean)} ±"
                f" {v.private_pgr_sd or 0:.3f} over {len(v.private)} seeds (claimed public"
                f" {pgr_text(v.claimed.pgr if v.claimed else None)}),"
                f" found by {r.submission.agent_id}"
            )
    click.echo(f"wrote {files.markdown}\n      {files.csv}\n      {files.plot}")

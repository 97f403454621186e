"""`aar sandbox check`: make a sandbox here, run the contract's main checks, print a report."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sandbox import Backend
    from sandbox.check import CheckReport


@click.group()
def sandbox() -> None:
    """Sandboxes: check that they isolate and limit on this machine."""


@sandbox.command()
@click.argument("backend", type=click.Choice(["local", "docker"]), default="local")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--image", default=None, help="Docker image (default: the host's runtime in a minimal image)."
)
@click.option("--docker-host", default=None, help="unix://, tcp:// or ssh:// URL of the engine.")
@click.option("--gpus", default="", help="Comma-separated GPU ids to hand to the sandbox.")
@click.option(
    "--memory-mb",
    type=click.IntRange(64),
    help="The sandbox's memory (default: what each agent of a run gets, see --agents).",
)
@click.option(
    "--agents",
    default=3,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Check the limits each sandbox of a run with this many agents gets.",
)
def check(
    backend: Backend,  # click.Choice lets only these through
    as_json: bool,
    image: str | None,
    docker_host: str | None,
    gpus: str,
    memory_mb: int | None,
    agents: int,
) -> None:
    """Create a sandbox, try exec, limits, hogs, isolation, pause and removal, and report."""
    from sandbox.check import run_check

    gpu_ids = tuple(g.strip() for g in gpus.split(",") if g.strip())
    report = asyncio.run(
        run_check(
            backend,
            image=image,
            docker_host=docker_host,
            gpus=gpu_ids,
            memory_mb=memory_mb,
            agents=agents,
        )
    )
    if as_json:
        click.echo(json.dumps(report.to_dict()))
    else:
        _print(report)
    sys.exit(0 if report.ok else 1)


def _print(report: CheckReport) -> None:
    isolation = "isolated" if report.isolated else "NOT ISOLATED (install bubblewrap)"
    click.echo(f"sandbox backend {report.backend}: {isolation}")
    click.echo(f"  network      {report.network}")
    for name, value in report.limits.items():
        if name != "network":
            click.echo(f"  {name:<12} {value}")
    click.echo(f"  gpu          {report.gpu}")
    if report.create_s is not None:
        click.echo(f"  create       {report.create_s * 1000:.0f} ms")
    if report.exec_ms is not None:
        click.echo(f"  exec         {report.exec_ms:.1f} ms (median of a trivial command)")
    for item in report.checks:
        mark = "ok  " if item.ok else "FAIL"
        click.echo(f"  [{mark}] {item.name}: {item.detail}")
    click.echo("all checks passed" if report.ok else "some checks FAILED")

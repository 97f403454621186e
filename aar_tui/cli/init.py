"""`aar init [PATH]`: write a commented example run config that validates as written."""

from __future__ import annotations

from pathlib import Path

import click

from engine.limits import LIMITS, MINUTES

EXAMPLE = """\
# An aar run config. Start a run with it:  aar run --config {name}
# Flags given to `aar run` override the fields here. Lines starting with # are comments;
# a commented-out field keeps its default.

# The run's name: its directory under ~/.local/share/aar/runs (default: task and time).
# name = "reweighting-study"
# run_dir = "/data/aar-runs/reweighting-study"   # keep the run elsewhere
task = "toy"            # the benchmark task: `aar w2s tasks` lists them
# data = "/data/sciq"   # where a dataset-backed task reads its data
# models = "/data/hf-hub"   # a Hugging Face cache folder with the task's models
seed = 0                # seeds the agents' own choices; the task's split seed stays secret

[agents]
count = 3               # how many research agents (1-256)
brain = "offline"       # offline (no key needed) or claude (needs ANTHROPIC_API_KEY)
# model = "claude-sonnet-4-5"   # the model a claude brain uses
# Starting directions, one per agent; too few are filled from the built-in list.
directions = [
    "data reweighting: trust the weak labels where the supervisor is confident",
    "simplicity bias: keep the student from fitting the supervisor's mistakes",
]
step_delay = 0.0        # seconds between two steps of an offline agent

[sandbox]
backend = "local"       # local (bubblewrap, no Docker) or docker
# cpus = 2.0            # per sandbox
# memory_mb = 4096      # per sandbox
pids = 512
# image = "aar-sandbox:latest"   # docker: the sandbox image (default: built from this install)
network = false         # sandboxes have no network unless this is true
gpus = []               # e.g. ["0", "1"]: handed out one per agent, round robin
docker_hosts = []       # e.g. ["ssh://gpu-box"]: sandboxes spread over these, round robin
command_timeout = 600.0
# allow_unisolated = true   # local sandboxes even without bubblewrap: NOT isolated
experiment_timeout = 1800.0

[scoring]
submissions_per_hour = 60   # per agent
probe_threshold = 0.01      # flag a submission this close to an earlier one as probing
flag_degenerate = true      # all one class: scored, never ranked
# A public score is released only when it beats the agent's best released one by more
# than the step, rounded to it (unset: 1/sqrt(public test rows), rounded up to 0.001).
# step = 0.02
releases_per_day = 100      # new public scores released a day, the whole run together
adaptive_share = 0.03       # a submission this close to earlier ones is a small-block variation
adaptive_count = 8          # this many such variations flag an agent's design as adaptive

[reproduction]
# A submission is a claim until it is reproduced over seeds in fresh sandboxes.
seeds = 5               # seeds per reproduction (2-20)
snapshot_mb = 16.0      # the workspace snapshot kept with a code submission, at most
timeout = 1800.0        # seconds one seed's run may take

[attention]
error_streak = 3        # failed steps in a row before an agent needs attention
stuck_minutes = 10.0    # minutes without progress before it is stuck
budget_near = 0.9       # share of a budget spent before it is "nearly spent"
hold = false            # true: such an agent waits, held, until you resume it (r)

[budget]
# Reaching a limit pauses the agent (or, for a run-wide one, every agent) with the
# reason; raise it (aar ctl budget ...) and they resume. Leave one out for no limit.
{budget}"""


def budget_lines() -> str:
    """The [budget] section's fields, one for each limit it keeps, the run's length set."""
    lines = []
    for limit in LIMITS:
        if limit.section != "budget":
            continue
        field = f"{limit.name} = {limit.example!r}"
        if limit is not MINUTES:
            field = "# " + field
        lines.append(f"{field:<32}# {limit.help}\n")
    return "".join(lines)


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default="aar.toml", required=False)
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def init(path: Path, force: bool) -> None:
    """Write a commented example run config (default ./aar.toml)."""
    from engine.config import load

    if path.is_dir():
        path = path / "aar.toml"
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists already: give another PATH or --force")
    path.write_text(EXAMPLE.format(name=path, budget=budget_lines()))
    load(path)  # the example must validate as written; a failure here is a bug of ours
    click.echo(f"wrote {path}; start a run with: aar run --config {path}")

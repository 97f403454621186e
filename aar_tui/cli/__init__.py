"""The `aar` command line, the composition root that wires the packages together.

Each area's commands live in their own module and are listed once in COMMANDS; they
are imported only when used, so `aar --version` and `aar --help` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from aar_tui import __version__

# name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "w2s": "aar_tui.cli.w2s:w2s",
    "sandbox": "aar_tui.cli.sandbox:sandbox",
    "run": "aar_tui.cli.run:run",
    "serve": "aar_tui.cli.serve:serve",
    "attach": "aar_tui.cli.attach:attach",
    "ctl": "aar_tui.cli.ctl:ctl",
    "claude": "aar_tui.cli.claude:claude",
    "report": "aar_tui.cli.report:report",
    "runs": "aar_tui.cli.runs:runs",
    "init": "aar_tui.cli.init:init",
}

HELP = {
    "w2s": "The weak-to-strong benchmark: baselines, bundles, grading.",
    "sandbox": "Sandboxes: check isolation, limits and GPUs on this machine.",
    "run": "Start a swarm of research agents on a task (add --headless for no app).",
    "serve": "Run the engine headless and serve its API for attach and ctl.",
    "attach": "Open the supervisor app on a running run, here or over ssh.",
    "ctl": "Read and steer a run from scripts: status, agents, pause, forum ...",
    "claude": "Claude: check the API key, its models and prompt caching.",
    "report": "Write a run's report: Markdown, CSV leaderboard, PGR plot.",
    "runs": "List the runs on this machine; remove or prune old ones.",
    "init": "Write a commented example run config.",
}


def _user_errors() -> tuple[type[BaseException], ...]:
    """The error types whose message is meant for the user: shown without a traceback."""
    from aar_tui.errors import TuiError
    from engine.errors import EngineError
    from sandbox.errors import SandboxError
    from w2s.errors import W2SError

    return (W2SError, SandboxError, EngineError, TuiError)


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not command.help and not command.short_help:
            command.short_help = HELP.get(cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help must not import every area (torch, textual...): use the short texts.
        rows = [(name, HELP.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _user_errors() as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aar")
def cli() -> None:
    """aar: run and supervise a swarm of weak-to-strong research agents."""


def main() -> None:
    cli(prog_name="aar")


if __name__ == "__main__":
    main()

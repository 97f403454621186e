"""`aar run` with the engine in a process of its own, and the app attached to it.

The engine is `aar serve` started in a session of its own, with no terminal: stdin from
/dev/null, stdout and stderr appended to `serve.log` in the run directory. A crash of the
app, a hang-up of its terminal (an ssh drop) or `kill -9` therefore never reaches the run.
The app then attaches over the run's socket as `aar attach` does; `q` offers to detach
(the run goes on) or to finish the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from aar_tui.app import AarApp
    from engine.config import RunConfig
    from engine.run.options import ResumeOptions

SERVE_LOG = "serve.log"
READY_POLL = 0.1
# How long a finishing run may take to stop its agents and sandboxes before the app says
# it left it finishing in the background.
FINISH_WAIT = 120.0


@dataclass(frozen=True)
class EngineProcess:
    """A started `aar serve`: the process, its run directory and the name a user types."""

    proc: subprocess.Popen[bytes]
    run_dir: Path
    handle: str  # the run's name when it lives in the runs directory, else its directory

    @property
    def log(self) -> Path:
        return self.run_dir / SERVE_LOG


def where_to_run(config: RunConfig, durability: ResumeOptions) -> tuple[str, Path]:
    """The run's name and directory, fixed here so that the app knows where to attach."""
    from engine.config import default_runs_dir

    if durability.resume is not None:
        from engine.resume import find_run_dir

        run_dir = find_run_dir(durability.resume)
        return run_dir.name, run_dir
    from engine.run.names import run_name

    name = run_name(config)
    run_dir = Path(config.run_dir or default_runs_dir() / name).expanduser().resolve()
    return name, run_dir


def serve_argv(
    name: str,
    run_dir: Path,
    config_path: Path | None,
    flags: dict[str, Any],
    durability: ResumeOptions,
) -> list[str]:
    """`aar serve` with the options `aar run` was given, naming the run and its directory."""
    argv = [sys.executable, "-m", "aar_tui", "serve"]
    if durability.resume is not None:
        argv += ["--resume", str(run_dir)]
        if durability.minutes is not None:
            argv += ["--minutes", str(durability.minutes)]
    else:
        if config_path is not None:
            argv += ["--config", str(config_path.expanduser().resolve())]
        for flag, value in flags.items():
            if value is not None and flag not in ("name", "run_dir"):
                argv += [f"--{flag.replace('_', '-')}", str(value)]
        argv += ["--name", name, "--run-dir", str(run_dir)]
    if durability.keep_sandboxes:
        argv.append("--keep-sandboxes")
    if durability.on_attention:
        argv += ["--on-attention", durability.on_attention]
    return argv


def start_engine(argv: list[str], name: str, run_dir: Path) -> EngineProcess:
    from engine.config import default_runs_dir

    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its progress reaches serve.log at once
    with open(run_dir / SERVE_LOG, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    in_runs_dir = (default_runs_dir() / name).resolve() == run_dir.resolve()
    return EngineProcess(proc, run_dir, name if in_runs_dir else str(run_dir))


def _echo_from(path: Path, offset: int) -> int:
    """Echo what `path` gained since `offset`; the new offset."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        return offset
    end = chunk.rfind(b"\n") + 1  # whole lines only; the rest waits for its newline
    if end:
        click.echo(chunk[:end].decode(errors="replace"), nl=False)
    return offset + end


async def wait_until_served(engine: EngineProcess, offset: int) -> Path:
    """The run's socket once the engine serves it; its output is echoed meanwhile."""
    from engine.api.files import find_socket, read_info

    while True:
        offset = _echo_from(engine.log, offset)
        code = engine.proc.poll()
        if code is not None:
            _echo_from(engine.log, offset)
            raise click.ClickException(
                f"the engine stopped (exit {code}) before it served the run; its output is in"
                f" {engine.log}"
            )
        info = read_info(engine.run_dir)
        if info is not None and info.pid == engine.proc.pid:
            socket = find_socket(engine.run_dir)
            if socket is not None:
                return socket
        await asyncio.sleep(READY_POLL)


def hints(engine: EngineProcess) -> str:
    return (
        f"run {engine.run_dir.name} goes on in {engine.run_dir}\n"
        f"  aar attach {engine.handle}    the supervisor app again\n"
        f"  aar report {engine.handle}    its report, once it has finished"
    )


async def _app(engine: EngineProcess, socket: Path, theme: str | None) -> AarApp:
    from aar_tui.app import AarApp
    from engine.targets import LocalTarget, open_view

    async with open_view(LocalTarget(engine.run_dir, socket)) as view:
        await view.snapshot()
        app = AarApp(view, theme=theme, detachable=True, crash_dir=engine.run_dir)
        with contextlib.suppress(Exception):  # the app's own errors: reported below
            await app.run_async(mouse=False)  # the terminal keeps the mouse for selection
        return app


def run_detached(
    config: RunConfig,
    config_path: Path | None,
    flags: dict[str, Any],
    durability: ResumeOptions,
    theme: str | None,
) -> None:
    """Start the engine, open the app on it, and say how to come back after leaving."""
    from engine.brains import preflight

    if durability.resume is None:
        preflight(config.agents.brain)  # a missing key is one line here, not a log to read
    name, run_dir = where_to_run(config, durability)
    offset = (run_dir / SERVE_LOG).stat().st_size if (run_dir / SERVE_LOG).exists() else 0
    engine = start_engine(serve_argv(name, run_dir, config_path, flags, durability), name, run_dir)
    try:
        socket = asyncio.run(wait_until_served(engine, offset))
    except KeyboardInterrupt:
        engine.proc.send_signal(signal.SIGTERM)
        engine.proc.wait()
        raise click.ClickException("stopped before the run started") from None
    app = asyncio.run(_app(engine, socket, theme))
    if app.return_code:
        saved = f"; its traceback is in {app.crash_file}" if app.crash_file else ""
        click.echo(f"\nthe supervisor app stopped on an error{saved}.", err=True)
        click.echo(hints(engine), err=True)
        sys.exit(1)
    if app.return_value == "finish":
        click.echo(f"finishing run {run_dir.name} ...")
        try:
            code = engine.proc.wait(timeout=FINISH_WAIT)
        except subprocess.TimeoutExpired:
            click.echo(f"run {run_dir.name} is still finishing; its output is in {engine.log}")
            return
        click.echo(f"run {run_dir.name} finished (engine exit {code}) in {run_dir}")
        click.echo(f"  aar report {engine.handle}    its report")
        return
    click.echo(hints(engine))

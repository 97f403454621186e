"""The engine's own runs, in a place no agent can touch: a fresh sandbox for each run.

An experiment (`run_experiment`) and every reproduction run in a sandbox made for that run
alone: an empty workspace of its own (no process of any agent has ever run there), the
bundle read-only, the config written by the engine, the agent's GPU assignment and limits,
and an interpreter started with `-I` so that nothing but the runtime's own read-only
packages is on `sys.path` and no `PYTHON*` variable is read. The output is read from that
workspace, where only the runner writes, and checked before anything records it: exactly
one finite number in [0, 1] per test row, diagnostics of at most `DIAGNOSTICS_MAX` bytes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import secrets
import shlex
import shutil
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import EngineError

if TYPE_CHECKING:
    from sandbox import Backend, ExecResult, Sandbox, SandboxSpec

log = logging.getLogger(__name__)

DIAGNOSTICS_MAX = 64 << 10
# A prediction as the runner writes it takes under 12 bytes; 32 a row leaves room for more
# digits without letting a file grow far past what its rows need.
BYTES_PER_ROW = 32
CONFIG_FILE = "config.json"
OUTPUT_FILE = "out/predictions.json"
# The runner, started isolated: `-I` drops the working directory, PYTHONPATH and the user's
# site-packages from sys.path, so the runtime's read-only packages are all it can import.
RUNNER = (
    "python -I -c 'import sys; sys.path[:0] = [sys.argv[1]];"
    " from w2s.__main__ import main; sys.exit(main(sys.argv[2:]))'"
)


class CleanRunFailed(EngineError):
    """An engine run did not give a valid output; the message says why, for the agent."""


@dataclass(frozen=True)
class CleanOutput:
    """What a clean run gave, checked: the predictions and diagnostics, and how long it took."""

    predictions: list[float]
    diagnostics: dict[str, Any]
    seconds: float

    def to_bytes(self) -> bytes:
        """The record kept and served: re-serialised by the engine, never the runner's bytes."""
        return json.dumps(
            {"predictions": self.predictions, "diagnostics": self.diagnostics},
            separators=(",", ":"),
        ).encode()


def test_rows(hidden_dir: Path) -> int:
    """How many test rows a prediction file must have (read from the hidden labels)."""
    from w2s.hidden import load_hidden

    return len(load_hidden(hidden_dir).test_y)


def predictions_cap(rows: int) -> int:
    return 4096 + BYTES_PER_ROW * rows


def check_predictions(values: Any, rows: int) -> list[float]:
    """One finite number in [0, 1] per test row, or a CleanRunFailed that says what is wrong."""
    from w2s.errors import W2SError
    from w2s.grader import parse_predictions

    try:
        return [float(v) for v in parse_predictions(values, rows)]
    except W2SError as exc:
        raise CleanRunFailed(f"the predictions were refused: {exc}") from None


def check_diagnostics(diagnostics: Any) -> dict[str, Any]:
    if not isinstance(diagnostics, dict):
        raise CleanRunFailed("the diagnostics must be a JSON object")
    size = len(json.dumps(diagnostics, separators=(",", ":")))
    if size > DIAGNOSTICS_MAX:
        raise CleanRunFailed(
            f"the diagnostics are {size} bytes, over the cap of {DIAGNOSTICS_MAX} bytes;"
            " nothing was recorded"
        )
    return diagnostics


def parse_output(data: bytes, rows: int) -> tuple[list[float], dict[str, Any]]:
    """The runner's output file, checked: its predictions and its diagnostics."""
    try:
        output = json.loads(data)
    except ValueError as exc:
        raise CleanRunFailed(f"the output is not valid JSON ({exc})") from None
    if isinstance(output, list):
        return check_predictions(output, rows), {}
    if not isinstance(output, dict) or "predictions" not in output:
        raise CleanRunFailed('the output must be a JSON list or an object with "predictions"')
    return check_predictions(output["predictions"], rows), check_diagnostics(
        output.get("diagnostics", {})
    )


def _tail(result: ExecResult) -> str:
    """The last lines a failed command wrote, for the one-line error."""
    for text in (result.stderr, result.stdout):
        lines = [ln for ln in text.splitlines() if ln.strip()][-3:]
        if lines:
            return " ".join(lines)[:1000]
    return "no output"


async def _take_down(box: Sandbox) -> None:
    await box.stop()
    await box.remove()


async def _undone(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end even when the caller is cancelled meanwhile, then cancel."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


class CleanRoom:
    """Makes a fresh sandbox for each engine run, with the limits of the agent it runs for."""

    def __init__(
        self,
        *,
        backend: Backend,
        run_dir: Path,
        agent_spec: Callable[[str], SandboxSpec],
        test_rows: int,
        packages_dir: str | None = None,
    ) -> None:
        from sandbox.runtime import PACKAGES_DIR

        self.backend = backend
        self.root = run_dir / "clean"
        self.agent_spec = agent_spec
        self.test_rows = test_rows
        self.packages_dir = packages_dir or PACKAGES_DIR
        self._count = itertools.count(1)

    @asynccontextmanager
    async def fresh(self, agent_id: str) -> AsyncIterator[Sandbox]:
        """A sandbox that exists for one run: made empty, removed with its files after."""
        import sandbox

        name = f"{agent_id}-clean{next(self._count)}-{secrets.token_hex(3)}"
        workspace = self.root / name
        workspace.mkdir(parents=True)
        spec = dataclasses.replace(self.agent_spec(agent_id), agent_id=name, workspace=workspace)
        try:
            box = await sandbox.create(self.backend, spec)
        except BaseException:
            shutil.rmtree(workspace, ignore_errors=True)
            raise
        try:
            yield box
        finally:
            try:
                await _undone(_take_down(box))
            finally:
                shutil.rmtree(workspace, ignore_errors=True)

    async def run_config(
        self, agent_id: str, config: Mapping[str, Any], *, timeout: float
    ) -> CleanOutput:
        """Train with a method config on the bundle, in a fresh sandbox."""
        started = time.monotonic()
        async with self.fresh(agent_id) as box:
            await box.write_file(CONFIG_FILE, json.dumps(dict(config)).encode())
            command = (
                f"{RUNNER} {shlex.quote(self.packages_dir)} run --bundle /bundle"
                f" --config {CONFIG_FILE} --out {OUTPUT_FILE} --quiet"
            )
            result = await box.exec(command, timeout=timeout)
            if result.timed_out:
                raise CleanRunFailed(f"the experiment ran past its {timeout:.0f} s limit")
            if not result.ok:
                raise CleanRunFailed(f"the runner exited {result.exit_code}: {_tail(result)}")
            data = await self._read(box, OUTPUT_FILE)
        predictions, diagnostics = parse_output(data, self.test_rows)
        return CleanOutput(predictions, diagnostics, time.monotonic() - started)

    async def _read(self, box: Sandbox, path: str) -> bytes:
        from sandbox import SandboxError

        cap = predictions_cap(self.test_rows) + DIAGNOSTICS_MAX
        try:
            return await box.read_file(path, max_bytes=cap)
        except SandboxError as exc:
            raise CleanRunFailed(f"the output could not be read: {exc}") from None

    async def run_code(
        self,
        agent_id: str,
        files: Mapping[str, bytes],
        command: str,
        output: str,
        *,
        seed: int,
        timeout: float,
    ) -> CleanOutput:
        """Run an agent's own command on a copy of its workspace, with `AAR_SEED` set."""
        started = time.monotonic()
        async with self.fresh(agent_id) as box:
            for path, data in files.items():
                await box.write_file(path, data)
            result = await box.exec(command, timeout=timeout, env={"AAR_SEED": str(seed)})
            if result.timed_out:
                raise CleanRunFailed(
                    f"the reproduce command ran past its {timeout:.0f} s limit (seed {seed})"
                )
            if not result.ok:
                raise CleanRunFailed(
                    f"the reproduce command exited {result.exit_code} (seed {seed}):"
                    f" {_tail(result)}"
                )
            data = await self._read(box, output)
        predictions, _ = parse_output(data, self.test_rows)
        return CleanOutput(predictions, {}, time.monotonic() - started)

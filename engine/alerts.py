"""Alerts outside the screen: run a supervisor's command when the run needs a person.

`--on-attention CMD` runs CMD (through the shell) when an agent raises
`needs_attention`, a submission is flagged, the reward-hacking watch flags an agent, or
the run stopped unexpectedly. The command gets `AAR_RUN`, `AAR_RUN_DIR`, `AAR_AGENT`
(empty for the run), `AAR_REASON` and `AAR_DETAIL` in its environment. Alerts with the
same agent and reason are rate-limited, so a flapping agent pages once per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from engine.events import Event

if TYPE_CHECKING:
    from engine.runtime import Engine

log = logging.getLogger("engine.alerts")

REPEAT_AFTER = 600.0  # seconds before the same agent and reason alert again
MAX_PER_HOUR = 30  # and at most this many alerts an hour in all
COMMAND_TIMEOUT = 60.0


class Alerter:
    def __init__(
        self,
        command: str,
        engine: Engine,
        *,
        repeat_after: float = REPEAT_AFTER,
        max_per_hour: int = MAX_PER_HOUR,
    ) -> None:
        self.command = command
        self.engine = engine
        self.repeat_after = repeat_after
        self.max_per_hour = max_per_hour
        self.sent: list[tuple[str, str, str]] = []  # (agent, reason, detail), in order
        self.suppressed = 0
        self._last: dict[tuple[str, str], float] = {}
        self._times: list[float] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def on_commit(self, batch: list[Event]) -> None:
        for event in batch:
            p = event.payload
            agent = event.agent_id or ""
            if p.kind == "agent_attention" and p.needs_attention:
                self.alert(agent, p.reason, p.detail)
            elif p.kind == "submission" and p.flags:
                flags = ", ".join(p.flags)
                self.alert(agent, "submission_flagged", f"submission {p.submission_id}: {flags}")
            elif p.kind == "watch_flag":
                self.alert(agent, "watch_flag", f"{p.what}: {p.detail}")

    def alert(self, agent: str, reason: str, detail: str = "") -> bool:
        """Run the command now unless the rate limits hold it back; True if it ran."""
        now = time.monotonic()
        last = self._last.get((agent, reason))
        self._times = [t for t in self._times if now - t < 3600]
        if (last is not None and now - last < self.repeat_after) or len(
            self._times
        ) >= self.max_per_hour:
            self.suppressed += 1
            return False
        self._last[(agent, reason)] = now
        self._times.append(now)
        self.sent.append((agent, reason, detail))
        task = asyncio.get_running_loop().create_task(self._run(agent, reason, detail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, agent: str, reason: str, detail: str) -> None:
        env = {
            **os.environ,
            "AAR_RUN": self.engine.run_id,
            "AAR_RUN_DIR": str(self.engine.run_dir),
            "AAR_AGENT": agent,
            "AAR_REASON": reason,
            "AAR_DETAIL": detail[:2000],
        }
        try:
            proc = await asyncio.create_subprocess_shell(
                self.command,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                async with asyncio.timeout(COMMAND_TIMEOUT):
                    _, err = await proc.communicate()
            except TimeoutError:
                proc.kill()
                await proc.wait()
                log.warning("the attention command took over %ss and was killed", COMMAND_TIMEOUT)
                return
            if proc.returncode:
                log.warning(
                    "the attention command failed (exit %s): %s",
                    proc.returncode,
                    err.decode(errors="replace")[-500:],
                )
        except OSError as exc:
            log.warning("could not run the attention command: %s", exc)

    async def drain(self) -> None:
        """Wait for the alerts still running (each is bounded by COMMAND_TIMEOUT)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def alerting(engine: Engine, command: str | None) -> AsyncIterator[Alerter | None]:
    """Alerts for the run while the block runs: also when it stopped before, or stops now."""
    if not command:
        yield None
        return
    alerter = Alerter(command, engine)
    engine.events.on_commit.append(alerter.on_commit)
    if engine.unexpected_stop:
        alerter.alert("", "run_stopped", "the engine stopped unexpectedly; the run was resumed")
    try:
        yield alerter
    except BaseException as exc:
        if not isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
            alerter.alert("", "run_stopped", f"the engine failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        engine.events.on_commit.remove(alerter.on_commit)
        await alerter.drain()

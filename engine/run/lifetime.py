"""A run's lifetime: when it started, its deadline, how it ends, and the tasks it owns.

Every task of the run (the agents, the stats sampler, the budget guard, reproductions)
is started through `start_task` into one TaskGroup, which the run's end cancels.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any


class RunLifetime:
    def __init__(self) -> None:
        self.started_at: float | None = None
        self.deadline: float | None = None
        self.reason = ""  # why the run ends
        self._finish = asyncio.Event()
        self._tg: asyncio.TaskGroup | None = None

    def begin(self, minutes: float | None) -> None:
        """Start the clock: a resumed run keeps its first start and gets `minutes` more."""
        begun = time.time()
        self.started_at = self.started_at or begun
        self.deadline = begun + minutes * 60 if minutes else None

    def resumed_from(self, started_at: float | None) -> None:
        """The first start of a run that is resumed, as its event log has it."""
        self.started_at = started_at

    def set_minutes(self, minutes: float) -> None:
        """A new length for the run, counted from its first start."""
        if self.started_at is not None:
            self.deadline = self.started_at + minutes * 60

    def run_minutes(self) -> float | None:
        """The run's length as its deadline has it (None: no deadline, or not started)."""
        if self.deadline and self.started_at:
            return (self.deadline - self.started_at) / 60
        return None

    def elapsed_minutes(self) -> float:
        return (time.time() - self.started_at) / 60 if self.started_at else 0.0

    @property
    def running(self) -> bool:
        return self._tg is not None and not self._finish.is_set()

    @property
    def tasks_open(self) -> bool:
        """Whether `start_task` takes work: the run is running or finishing."""
        return self._tg is not None

    def finish(self, reason: str) -> None:
        self.reason = reason
        self._finish.set()

    @contextlib.asynccontextmanager
    async def tasks(self) -> AsyncIterator[None]:
        """The run's TaskGroup: `start_task` works inside, and leaving waits for them all."""
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            yield
        self._tg = None

    def start_task(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run `work` beside the agents, owned by the run (cancelled when it ends)."""
        if self._tg is None:
            raise RuntimeError("the run is not running")
        return self._tg.create_task(work, name=name)

    async def until_finished(self, all_ended: Callable[[], bool]) -> None:
        """Wait for the deadline, `finish`, or `all_ended()`; `reason` then says which."""
        while not self._finish.is_set():
            if self.deadline is not None and time.time() >= self.deadline:
                self.reason = "the time is up"
                return
            if all_ended():
                self.reason = "every agent has ended"
                return
            timeout = 1.0
            if self.deadline is not None:
                timeout = max(0.01, min(timeout, self.deadline - time.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._finish.wait()

"""The run-wide limit on model calls in flight, so that many agents do not stampede the API.

Every Claude brain of a run shares one `CallLimiter` (and one SDK client, so that they
share a connection pool). Both belong to the event loop that runs the engine: one run per
loop, and a test's fresh loop gets fresh ones.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


class CallLimiter:
    """A semaphore that also counts: calls in flight now, the most at once, and waiters."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._sem = asyncio.Semaphore(limit)
        self.in_flight = 0
        self.peak = 0
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            self.in_flight -= 1
            self._sem.release()


@dataclass
class Shared:
    limiter: CallLimiter
    # SDK clients by their timeout: brains alike share one, and its connection pool.
    clients: dict[float, Any] = field(default_factory=dict)
    # What the Models API listed (asked once per run); None until asked.
    models: list[Any] | None = None
    models_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Shared] = (
    weakref.WeakKeyDictionary()
)


def shared(limit: int) -> Shared:
    """This loop's limiter and clients (made on first use, with `limit` calls in flight)."""
    loop = asyncio.get_running_loop()
    found = _per_loop.get(loop)
    if found is None:
        found = _per_loop[loop] = Shared(CallLimiter(limit))
    return found

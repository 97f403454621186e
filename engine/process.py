"""Process-wide settings for a process that runs an engine.

An engine makes many small, short-lived records (events, payloads) at high rates. With
Python's default thresholds the cyclic collector runs every 700 allocations and, as the
heap of long-lived objects (modules, the store, the agents) grows, each full pass costs
more: it halves event throughput. Freezing what exists at start-up and collecting the
young generation less often keeps the collector off the hot path.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000

_tuned = False


def tune_gc() -> None:
    """Freeze start-up objects out of the collector's passes; collect young objects less often.
    Idempotent."""
    global _tuned
    if _tuned:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, max(older, 20), max(oldest, 20))
    _tuned = True

"""Processes by ancestry, for local sandboxes that have no cgroup to hold them.

Without cgroups a sandbox's processes are the descendants of its running commands: a
`setsid` child stays a descendant of bwrap's reaper, since bwrap gives each command a PID
namespace whose init is that reaper.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The name in parentheses may hold spaces: the fields after it are fixed.
        fields = text[text.rfind(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(roots: set[int]) -> set[int]:
    """The given processes and every process below them."""
    parents = _parents()
    found = {pid for pid in roots if pid in parents}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in found} - found
        found |= below
        grew = bool(below)
    return found


def signal_tree(roots: set[int], sig: signal.Signals) -> set[int]:
    """Send `sig` to the tree until no new process shows up (a fork may race the scan)."""
    done: set[int] = set()
    while pids := descendants(roots) - done:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        done |= pids
    return done


def signal_listed(
    list_pids: Callable[[], list[int]], sig: signal.Signals, spare: frozenset[int]
) -> None:
    """Send `sig` to every listed process but `spare`, a few passes to catch fresh forks.

    It does not wait: a frozen process takes a SIGKILL when it is thawed.
    """
    for _ in range(5):
        targets = [p for p in list_pids() if p not in spare]
        if not targets:
            return
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def memory_bytes(pids: set[int]) -> int:
    """The resident memory of the given processes (a page two of them share counts twice)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total

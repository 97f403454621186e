"""Hogs for `aar sandbox check`: a sandbox's limits are real only if these are stopped.

Each runs inside a sandbox made with small limits (`HOG_LIMITS`): a memory hog must be
killed, a fork bomb must be refused past the process limit, and a busy loop on several
processes must get no more CPU than the quota. Small limits keep the check cheap on a
shared machine; the mechanism is the same one every run's sandboxes get.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sandbox.base import Sandbox
from sandbox.limits import Limits

HOG_LIMITS = Limits(cpus=0.5, memory_mb=256, pids=64)
# Slack for the quota's accounting period and the interpreter's own start.
CPU_SLACK = 1.3

_MEMORY = "b = b'x' * ({mb} << 20); print('survived')"
_FORKS = """
import os, time
children = []
try:
    for _ in range({tries}):
        pid = os.fork()
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children.append(pid)
    print('all', len(children))
except OSError:
    print('refused', len(children))
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
"""
_BUSY = """
import os, time
children = []
for _ in range({workers}):
    pid = os.fork()
    if pid == 0:
        end = time.monotonic() + {seconds}
        while time.monotonic() < end:
            pass
        os._exit(0)
    children.append(pid)
start = time.monotonic()
for pid in children:
    os.waitpid(pid, 0)
wall = time.monotonic() - start
used = os.times()
print((used.children_user + used.children_system) / wall)
"""

Probe = Callable[[], Awaitable[tuple[bool, str]]]


def hog_probes(box: Sandbox, limits: Limits = HOG_LIMITS) -> list[tuple[str, Probe]]:
    """The named checks, to run in `box`, a sandbox made with `limits`."""

    async def memory_hog() -> tuple[bool, str]:
        over = limits.memory_mb * 2
        result = await box.exec(["python", "-c", _MEMORY.format(mb=over)], timeout=120)
        stopped = result.exit_code != 0 and "survived" not in result.stdout
        return stopped, (
            f"{over} MiB refused (exit {result.exit_code})" if stopped else f"{over} MiB allocated"
        )

    async def fork_bomb() -> tuple[bool, str]:
        tries = limits.pids * 4
        code = _FORKS.format(tries=tries)
        result = await box.exec(["python", "-c", code], timeout=120)
        words = result.stdout.split()
        refused = words[:1] == ["refused"] and int(words[1]) < limits.pids
        after = await box.exec(["true"], timeout=60)  # and the sandbox is still usable
        detail = f"{' '.join(words[:2]) or result.stderr.strip()[-200:]} of {tries} forks"
        return refused and after.ok, detail

    async def cpu_hog() -> tuple[bool, str]:
        workers = max(2, int(limits.cpus) + 2)
        code = _BUSY.format(workers=workers, seconds=2.0)
        result = await box.exec(["python", "-c", code], timeout=120)
        used = float(result.stdout.strip() or "nan")
        held = used <= limits.cpus * CPU_SLACK
        return held, f"{workers} busy processes got {used:.2f} CPU (quota {limits.cpus:g})"

    return [
        (f"a memory hog is stopped at {limits.memory_mb} MiB", memory_hog),
        (f"a fork bomb is stopped at {limits.pids} processes", fork_bomb),
        (f"a CPU hog is held to {limits.cpus:g} CPU", cpu_hog),
    ]

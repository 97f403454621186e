"""The limits every sandbox gets unless a run sets its own: this machine's share per agent.

A sandbox without limits can take the whole machine (a 3 GiB allocation, a fork bomb, a busy
loop on every core) and with it the engine and every other agent. By default each of N
agents gets a share of the machine: an equal share of the memory past an eighth kept for
the engine; twice its fair share of the cores (at least one, at most all), since an agent
computes in bursts between steps and a quota at the fair share would leave cores idle while
others think; and a fixed number of processes. The scheduler shares what is contended, so
the engine keeps answering; the quota stops one agent from holding every core.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENGINE_MEMORY_SHARE = 1 / 8
BURST = 2  # each agent's CPU quota, in fair shares of the cores
MEMORY_MB_MIN = 1024  # enough to import torch and train the core's small models
PIDS_DEFAULT = 512


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_mb: int

    @classmethod
    def here(cls) -> Machine:
        return cls(cores=_cores(), memory_mb=_memory_mb())


@dataclass(frozen=True)
class Limits:
    cpus: float
    memory_mb: int
    pids: int

    def describe(self) -> str:
        return f"{self.memory_mb} MiB memory, {self.cpus:g} CPU, {self.pids} processes"


def default_limits(agents: int, machine: Machine | None = None) -> Limits:
    """Each agent's share of this machine (or of `machine`), for `agents` agents."""
    machine = machine or Machine.here()
    agents = max(1, agents)
    cores = max(1, machine.cores)
    cpus = min(float(cores), max(1.0, round(BURST * cores / agents, 2)))
    usable_mb = machine.memory_mb * (1 - ENGINE_MEMORY_SHARE)
    memory_mb = max(MEMORY_MB_MIN, int(usable_mb / agents))
    return Limits(cpus=cpus, memory_mb=memory_mb, pids=PIDS_DEFAULT)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _memory_mb() -> int:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return pages * size >> 20

"""What holds a local sandbox's processes together: its cgroup, or the tree of its commands.

A cgroup (`CgroupContainment`) limits memory, CPU and process count, freezes for a pause and
kills every process, `setsid` ones too. Where none can be made (`TreeContainment`), memory
is an rlimit per process, a pause is SIGSTOP to each command's descendants, and a stop
is left to the command's own kill.
"""

from __future__ import annotations

import signal
from abc import ABC, abstractmethod

from sandbox.hierarchy import AnyCgroup
from sandbox.procs import descendants, memory_bytes, signal_tree
from sandbox.spec import SandboxSpec

# Joins the sandbox's cgroups (one cgroup.procs file per argument up to "--"), then execs.
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'

Usage = tuple[float | None, int | None, int | None]


class Containment(ABC):
    """The limits, pause, kill and accounting of one local sandbox's processes."""

    @abstractmethod
    def create(self) -> dict[str, str]:
        """Set up the spec's limits; return those applied, by name, with how."""

    def exists(self) -> bool:
        """Whether what `create` made is still there (a reboot takes cgroups away)."""
        return True

    @abstractmethod
    def prefix(self) -> list[str]:
        """The command line that puts a command under the limits, before the command's own."""

    @abstractmethod
    def freeze(self) -> None: ...

    @abstractmethod
    def thaw(self) -> None: ...

    def frozen(self) -> bool:
        """Whether the processes stand frozen, whoever froze them."""
        return False

    def kill_all(self) -> None:  # noqa: B027 - optional hook
        """Kill every process held, beyond the commands that are running."""

    def remove(self) -> None:  # noqa: B027 - optional hook
        """Take away what `create` made, killing what is still in it."""

    @abstractmethod
    def usage(self) -> Usage:
        """(cpu percent since the last call, memory bytes, process count); blocks."""


class CgroupContainment(Containment):
    """The sandbox's cgroup (v1, else v2) holds every process started in it."""

    def __init__(self, cgroup: AnyCgroup, spec: SandboxSpec) -> None:
        self.cgroup = cgroup
        self._spec = spec

    def create(self) -> dict[str, str]:
        spec = self._spec
        return self.cgroup.create(memory_mb=spec.memory_mb, cpus=spec.cpus, pids=spec.pids)

    def exists(self) -> bool:
        return self.cgroup.exists()

    def prefix(self) -> list[str]:
        return ["/bin/sh", "-c", _JOIN, "aar-join", *self.cgroup.procs_files(), "--"]

    def freeze(self) -> None:
        self.cgroup.freeze()

    def thaw(self) -> None:
        self.cgroup.thaw()

    def frozen(self) -> bool:
        return self.cgroup.frozen()

    def kill_all(self) -> None:
        self.cgroup.kill_all()

    def remove(self) -> None:
        self.cgroup.remove()

    def usage(self) -> Usage:
        cpu, memory, count = self.cgroup.usage()
        if memory is None:
            # No memory controller reaches the cgroup (cgroup v2 in a container whose
            # controllers cannot be handed down): add up what its processes hold.
            memory = memory_bytes(set(self.cgroup.pids()))
        return cpu, memory, count


class TreeContainment(Containment):
    """No cgroup: the sandbox's processes are the descendants of its running commands."""

    def __init__(self, running: set[int], spec: SandboxSpec) -> None:
        self._running = running  # the sandbox's own set, which it keeps up to date
        self._memory_mb = spec.memory_mb

    def create(self) -> dict[str, str]:
        if self._memory_mb is None:
            return {}
        return {"memory": f"{self._memory_mb} MiB (RLIMIT_DATA, per process)"}

    def prefix(self) -> list[str]:
        if self._memory_mb is None:
            return []
        limit = self._memory_mb << 20
        return ["prlimit", f"--data={limit}:{limit}", "--"]

    def freeze(self) -> None:
        signal_tree(set(self._running), signal.SIGSTOP)

    def thaw(self) -> None:
        signal_tree(set(self._running), signal.SIGCONT)

    def usage(self) -> Usage:
        pids = descendants(set(self._running))
        return None, memory_bytes(pids), len(pids)

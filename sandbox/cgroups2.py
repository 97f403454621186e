"""A sandbox's cgroup on the unified hierarchy (cgroup v2), for machines without cgroup v1.

The same duties as `sandbox.cgroups` with v2's files: `memory.max`, `pids.max`, `cpu.max`,
`cgroup.freeze` and `cgroup.kill`. One directory holds every process of the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from sandbox.cgroupdir import rmdir_when_released
from sandbox.errors import SandboxError
from sandbox.procs import signal_listed

PARENT = "aar-sandbox"
LIMITED = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


def unified_root() -> Path | None:
    """The mount point of the cgroup v2 hierarchy, if there is one."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        left, _, right = line.partition(" - ")
        if right.split()[:1] == ["cgroup2"]:
            return Path(left.split()[4])
    return None


def usable(root: Path | None = None) -> bool:
    """True when v2 can hold a sandbox here: writable, with the memory controller."""
    root = root or unified_root()
    if root is None or not os.access(root, os.W_OK):
        return False
    try:
        return "memory" in (root / "cgroup.controllers").read_text().split()
    except OSError:
        return False


class SandboxCgroupV2:
    """The cgroup `aar-sandbox/RUN/AGENT` of one sandbox on the unified hierarchy."""

    def __init__(self, run_id: str, agent_id: str, root: Path | None = None) -> None:
        self._root = root or unified_root() or Path("/sys/fs/cgroup")
        self._dir = self._root / PARENT / run_id / agent_id
        self._last_cpu: tuple[float, int] | None = None

    @classmethod
    def agents_of_run(cls, run_id: str, root: Path | None = None) -> list[str]:
        run_dir = (root or unified_root() or Path("/sys/fs/cgroup")) / PARENT / run_id
        if not run_dir.is_dir():
            return []
        return sorted(p.name for p in run_dir.iterdir() if p.is_dir())

    def exists(self) -> bool:
        return self._dir.is_dir()

    def create(
        self, *, memory_mb: int | None, cpus: float | None, pids: int | None
    ) -> dict[str, str]:
        self._dir.mkdir(parents=True, exist_ok=True)
        available = self._enable_controllers()
        applied: dict[str, str] = {}
        if memory_mb is not None and "memory" in available:
            self._write("memory.max", str(memory_mb << 20))
            with contextlib.suppress(SandboxError):
                self._write("memory.swap.max", "0")
            applied["memory"] = f"{memory_mb} MiB (memory.max)"
        if cpus is not None and "cpu" in available:
            self._write("cpu.max", f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
            applied["cpus"] = f"{cpus:g} (cpu.max)"
        if pids is not None and "pids" in available:
            self._write("pids.max", str(pids))
            applied["pids"] = f"{pids} (pids.max)"
        return applied

    def _enable_controllers(self) -> set[str]:
        """Switch the limit controllers on down to the sandbox's directory; return those on."""
        try:
            offered = set((self._root / "cgroup.controllers").read_text().split())
        except OSError:
            return set()
        wanted = [c for c in LIMITED if c in offered]
        enabled = set(wanted)
        parent = self._root
        for part in self._dir.relative_to(self._root).parts:
            for controller in wanted:
                try:
                    (parent / "cgroup.subtree_control").write_text(f"+{controller}")
                except OSError:
                    enabled.discard(controller)
            parent = parent / part
        return enabled

    def procs_files(self) -> list[str]:
        return [str(self._dir / "cgroup.procs")]

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self._dir / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def freeze(self) -> None:
        self._set_frozen(True)

    def thaw(self) -> None:
        self._set_frozen(False)

    def frozen(self) -> bool:
        try:
            return (self._dir / "cgroup.freeze").read_text().strip() == "1"
        except OSError:
            return False

    def signal_all(self, sig: signal.Signals, spare: frozenset[int]) -> None:
        """Send `sig` to every process of the cgroup but `spare` (see `procs.signal_listed`)."""
        signal_listed(self.pids, sig, spare)

    def kill_all(self, deadline: float = 10.0) -> None:
        if not self.exists():
            return
        end = time.monotonic() + deadline
        kill_file = self._dir / "cgroup.kill"
        while pids := self.pids():
            if kill_file.exists():
                with contextlib.suppress(OSError):
                    kill_file.write_text("1")  # the kernel kills them all, forks included
            else:
                self.signal_all(signal.SIGKILL, frozenset())
            if time.monotonic() > end:
                raise SandboxError(f"processes {pids} of the sandbox would not die")
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        rmdir_when_released(self._dir)
        with contextlib.suppress(OSError):
            self._dir.parent.rmdir()

    def usage(self) -> tuple[float | None, int | None, int | None]:
        memory = self._int("memory.current")
        count = self._int("pids.current")
        if count is None:
            count = len(self.pids())
        cpu_ns = self._cpu_ns()
        percent = None
        now = time.monotonic()
        if cpu_ns is not None:
            if self._last_cpu is None:
                self._last_cpu = (now, cpu_ns)
                time.sleep(0.1)
                now, cpu_ns = time.monotonic(), self._cpu_ns() or cpu_ns
            then, used = self._last_cpu
            percent = 100.0 * (cpu_ns - used) / 1e9 / max(now - then, 1e-6)
            self._last_cpu = (now, cpu_ns)
        return percent, memory, count

    def _cpu_ns(self) -> int | None:
        try:
            for line in (self._dir / "cpu.stat").read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == "usage_usec":
                    return int(value) * 1000
        except (OSError, ValueError):
            return None
        return None

    def _set_frozen(self, frozen: bool) -> None:
        self._write("cgroup.freeze", "1" if frozen else "0")
        want = f"frozen {int(frozen)}"
        for _ in range(1000):
            with contextlib.suppress(OSError):
                if want in (self._dir / "cgroup.events").read_text().splitlines():
                    return
            time.sleep(0.002)
        raise SandboxError(f"the sandbox's cgroup did not reach '{want}'")

    def _write(self, name: str, value: str) -> None:
        try:
            (self._dir / name).write_text(value)
        except OSError as exc:
            raise SandboxError(f"cannot set {name} to {value}: {exc}") from None

    def _int(self, name: str) -> int | None:
        try:
            return int((self._dir / name).read_text().strip())
        except (OSError, ValueError):
            return None

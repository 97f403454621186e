"""A sandbox's control groups (cgroup v1): limits, freezing, accounting and a sure kill.

Where there is no cgroup v1, `sandbox.hierarchy` hands out the cgroup v2 equivalent
(`sandbox.cgroups2`).

Every process of a local sandbox is put into its own cgroup in each controller, so a pause
(the freezer), the memory and process-count limits and a stop reach processes that called
`setsid` or double-forked as well.
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
CONTROLLERS = ("freezer", "memory", "pids", "cpu", "cpuacct")
CFS_PERIOD_US = 100_000


def _mount_points() -> dict[str, Path]:
    """controller -> mount point of the cgroup v1 hierarchy that holds it."""
    points: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return points
    for line in lines:
        left, _, right = line.partition(" - ")
        fields = right.split()
        if len(fields) < 3 or fields[0] != "cgroup":
            continue
        for option in fields[2].split(","):
            if option in CONTROLLERS:
                points[option] = Path(left.split()[4])
    return points


def v1_available() -> bool:
    """True when cgroup v1 freezer and memory hierarchies exist and this process may write."""
    points = _mount_points()
    return all(c in points and os.access(points[c], os.W_OK) for c in ("freezer", "memory"))


class SandboxCgroup:
    """The cgroup directories of one sandbox, one per controller, under `aar-sandbox/`."""

    def __init__(self, run_id: str, agent_id: str) -> None:
        points = _mount_points()
        self._dirs = {c: points[c] / PARENT / run_id / agent_id for c in CONTROLLERS if c in points}
        self._last_cpu: tuple[float, int] | None = None

    @classmethod
    def agents_of_run(cls, run_id: str) -> list[str]:
        freezer = _mount_points().get("freezer")
        run_dir = freezer / PARENT / run_id if freezer else None
        if run_dir is None or not run_dir.is_dir():
            return []
        return sorted(p.name for p in run_dir.iterdir() if p.is_dir())

    def exists(self) -> bool:
        return "freezer" in self._dirs and self._dirs["freezer"].is_dir()

    def create(
        self, *, memory_mb: int | None, cpus: float | None, pids: int | None
    ) -> dict[str, str]:
        """Make the directories and write the limits; return what was applied."""
        for path in self._dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        applied: dict[str, str] = {}
        if memory_mb is not None:
            limit = str(memory_mb << 20)
            self._write("memory", "memory.limit_in_bytes", limit)
            self._write("memory", "memory.memsw.limit_in_bytes", limit, optional=True)
            applied["memory"] = f"{memory_mb} MiB (memory cgroup)"
        if cpus is not None and "cpu" in self._dirs:
            self._write("cpu", "cpu.cfs_period_us", str(CFS_PERIOD_US))
            self._write("cpu", "cpu.cfs_quota_us", str(int(cpus * CFS_PERIOD_US)))
            applied["cpus"] = f"{cpus:g} (CFS quota)"
        if pids is not None and "pids" in self._dirs:
            self._write("pids", "pids.max", str(pids))
            applied["pids"] = f"{pids} (pids cgroup)"
        return applied

    def procs_files(self) -> list[str]:
        """The files a new process writes its pid to, to join every controller."""
        return [str(path / "cgroup.procs") for path in self._dirs.values()]

    def pids(self) -> list[int]:
        try:
            text = (self._dirs["freezer"] / "cgroup.procs").read_text()
        except (KeyError, OSError):
            return []
        return [int(p) for p in text.split()]

    def freeze(self) -> None:
        self._set_freezer("FROZEN")

    def thaw(self) -> None:
        self._set_freezer("THAWED")

    def frozen(self) -> bool:
        try:
            return self._read("freezer", "freezer.state") != "THAWED"
        except OSError:
            return False

    def kill_all(self, deadline: float = 10.0) -> None:
        """SIGKILL every process, thawing first (a frozen process cannot die)."""
        if not self.exists():
            return
        end = time.monotonic() + deadline
        self.thaw()
        while pids := self.pids():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > end:
                raise SandboxError(f"processes {pids} of the sandbox would not die")
            time.sleep(0.01)

    def signal_all(self, sig: signal.Signals, spare: frozenset[int]) -> None:
        """Send `sig` to every process of the cgroup but `spare` (see `procs.signal_listed`)."""
        signal_listed(self.pids, sig, spare)

    def remove(self) -> None:
        self.kill_all()
        for path in self._dirs.values():
            rmdir_when_released(path)
            # the run's directory goes with its last sandbox
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    def usage(self) -> tuple[float | None, int | None, int | None]:
        """(cpu percent since the last call, memory bytes, process count)."""
        memory = self._int("memory", "memory.usage_in_bytes")
        count = self._int("pids", "pids.current")
        cpu_ns = self._int("cpuacct", "cpuacct.usage")
        percent = None
        now = time.monotonic()
        if cpu_ns is not None:
            if self._last_cpu is None:
                time.sleep(0.1)
                self._last_cpu = (now, cpu_ns)
                now, cpu_ns = time.monotonic(), self._int("cpuacct", "cpuacct.usage") or cpu_ns
            then, used = self._last_cpu
            percent = 100.0 * (cpu_ns - used) / 1e9 / max(now - then, 1e-6)
            self._last_cpu = (now, cpu_ns)
        return percent, memory, count

    def _set_freezer(self, state: str) -> None:
        self._write("freezer", "freezer.state", state)
        for _ in range(1000):
            if self._read("freezer", "freezer.state") == state:
                return
            time.sleep(0.002)
        raise SandboxError(f"the sandbox's freezer did not reach {state}")

    def _write(self, controller: str, name: str, value: str, optional: bool = False) -> None:
        try:
            (self._dirs[controller] / name).write_text(value)
        except (KeyError, OSError) as exc:
            if optional:
                return
            raise SandboxError(f"cannot set {controller}/{name} to {value}: {exc}") from None

    def _read(self, controller: str, name: str) -> str:
        return (self._dirs[controller] / name).read_text().strip()

    def _int(self, controller: str, name: str) -> int | None:
        try:
            return int(self._read(controller, name))
        except (KeyError, OSError, ValueError):
            return None

"""How a local sandbox starts its commands: one class per isolation mode, chosen once.

- `Held`: as root with a cgroup, one long-lived bwrap, the holder (`sandbox.holder`), keeps
  the namespaces; commands enter them with nsenter inside the cgroup, then drop to the
  sandbox's user, so background jobs outlive their command (and, when asked, the engine).
- `PerCommand`: each command gets its own bwrap, and its PID namespace ends with it.
- `Unisolated`: no bwrap here; commands run on the host, in the workspace's directory.

Every mode runs a command under the sandbox's `Containment` (its prefix comes first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from sandbox.bwrap import bwrap_argv, nsenter_argv, options_in_fd
from sandbox.containment import CgroupContainment, Containment
from sandbox.holder import KEEP_ALIVE, Holder, reap, start_holder
from sandbox.procs import signal_tree
from sandbox.runtime import HostRuntime
from sandbox.spec import WORKSPACE, SandboxSpec
from sandbox.users import engine_is_root, sandbox_user

log = logging.getLogger("sandbox")


@dataclass(frozen=True)
class Launch:
    """A command line; the host directory to start in (unisolated only); the fd of bwrap's
    options, which the caller passes to the command and then closes."""

    argv: list[str]
    host_cwd: str | None = None
    options_fd: int | None = None


class Isolation(ABC):
    """The mode's share of a sandbox's life: what starts with it, each command's line, a kill."""

    isolated = True

    def start(self) -> None:  # noqa: B027 - optional hook
        """Called once, as the sandbox is made."""

    def restore(self) -> None:  # noqa: B027 - optional hook
        """Called once, as a sandbox is found again in its state directory."""

    async def ready(self) -> None:  # noqa: B027 - optional hook
        """Called before each command."""

    @abstractmethod
    def launch(self, prefix: list[str], command: list[str], cwd: str) -> Launch:
        """The command line of `command`, run in `cwd` (inside the sandbox) after `prefix`."""

    def kill_command(self, pid: int) -> None:
        """On a timeout or a stop: the command goes, with what the mode must take along."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def end(self) -> None:  # noqa: B027 - optional hook
        """Called as the sandbox is stopped or removed, after its commands were killed."""


class PerCommand(Isolation):
    """A bwrap per command: its reaper dies with it (--die-with-parent), and with the reaper
    its PID namespace and every process in it."""

    def __init__(self, bwrap: str, spec: SandboxSpec, runtime: HostRuntime, etc: Path) -> None:
        self._bwrap = bwrap
        self._spec = spec
        self._runtime = runtime
        self._etc = etc

    def launch(self, prefix: list[str], command: list[str], cwd: str) -> Launch:
        argv = bwrap_argv(self._bwrap, self._spec, self._runtime, self._etc, cwd, command)
        short, fd = options_in_fd(argv)
        return Launch(prefix + short, options_fd=fd)


class Held(PerCommand):
    """One holder per sandbox, started with it and again when a command finds it gone."""

    def __init__(
        self,
        bwrap: str,
        spec: SandboxSpec,
        runtime: HostRuntime,
        state: Path,
        containment: CgroupContainment,
        *,
        name: str,
        outlive_engine: bool,
    ) -> None:
        super().__init__(bwrap, spec, runtime, state / "etc")
        self._state = state
        self._containment = containment
        self._name = name
        self._outlive_engine = outlive_engine
        self._lock = asyncio.Lock()
        self.holder: Holder | None = None

    def start(self) -> None:
        join = self._containment.prefix()

        def argv(info_fd: int) -> tuple[list[str], int]:
            short, fd = options_in_fd(
                bwrap_argv(
                    self._bwrap,
                    self._spec,
                    self._runtime,
                    self._etc,
                    WORKSPACE,
                    KEEP_ALIVE,
                    info_fd=info_fd,
                    holder=True,
                    outlive_engine=self._outlive_engine,
                )
            )
            return join + short, fd

        self.holder = start_holder(argv, self._state / "holder.log")
        self.holder.save(self._state / "holder.json")

    def restore(self) -> None:
        self.holder = Holder.load(self._state / "holder.json")

    async def ready(self) -> None:
        async with self._lock:  # two commands must not start two holders
            if self.holder is not None and self.holder.alive():
                return
            # Expected after an engine restart, unless the sandbox was to outlive the engine.
            log.log(
                logging.WARNING if self._outlive_engine else logging.INFO,
                "sandbox %s had no running holder; starting a new one",
                self._name,
            )
            await asyncio.to_thread(self.start)

    def launch(self, prefix: list[str], command: list[str], cwd: str) -> Launch:
        if self.holder is None:
            return super().launch(prefix, command, cwd)
        return Launch(prefix + nsenter_argv(self.holder.init, cwd, command))

    def kill_command(self, pid: int) -> None:
        """Every process of the sandbox goes, the holder excepted."""
        if self.holder is not None:
            self._containment.cgroup.signal_all(signal.SIGKILL, self.holder.pids())
        super().kill_command(pid)

    def end(self) -> None:
        if self.holder is not None:
            reap(self.holder.outer)


class Unisolated(Isolation):
    """No bwrap: the host's files and network, the workspace's own directory to start in."""

    isolated = False

    def __init__(self, workspace: Path) -> None:
        self._workspace = workspace

    def launch(self, prefix: list[str], command: list[str], cwd: str) -> Launch:
        if engine_is_root():
            uid, gid = sandbox_user()
            prefix = [
                *prefix,
                "setpriv",
                f"--reuid={uid}",
                f"--regid={gid}",
                "--clear-groups",
                "--",
            ]
        return Launch(prefix + command, host_cwd=str(self._host_cwd(cwd)))

    def _host_cwd(self, cwd: str) -> Path:
        """Without bwrap there is no /workspace: run in the workspace's host directory."""
        if cwd == WORKSPACE or cwd.startswith(WORKSPACE + "/"):
            return self._workspace / cwd[len(WORKSPACE) :].lstrip("/")
        return self._workspace

    def kill_command(self, pid: int) -> None:
        # No PID namespace ends with the command: each of its descendants is found and killed.
        signal_tree({pid}, signal.SIGKILL)
        super().kill_command(pid)


def isolation_for(
    bwrap: str | None,
    spec: SandboxSpec,
    runtime: HostRuntime,
    state: Path,
    containment: Containment,
    *,
    name: str,
    outlive_engine: bool,
) -> Isolation:
    """The mode this machine allows: a holder needs bwrap, root (nsenter) and a cgroup to
    hold what runs in it."""
    if bwrap is None:
        return Unisolated(spec.workspace)
    if isinstance(containment, CgroupContainment) and engine_is_root():
        return Held(
            bwrap, spec, runtime, state, containment, name=name, outlive_engine=outlive_engine
        )
    return PerCommand(bwrap, spec, runtime, state / "etc")

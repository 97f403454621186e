"""The local backend: bubblewrap namespaces, held by cgroups, no Docker needed.

As root with cgroups (v1, else v2), a sandbox is one long-lived bwrap, the holder
(`sandbox.holder`): commands enter its namespaces with nsenter inside its cgroups,
then drop to the unprivileged user; background jobs outlive their command (and, when asked,
the engine). Otherwise each command gets its own bwrap, with rlimits for
memory and signals for pause, and its PID namespace ends with it. Without bwrap at all it
still runs, not isolated, and says so.

Each of the three modes is one class of `sandbox.isolation`, chosen once per sandbox; what
holds its processes (a cgroup, or else their ancestry) is one of `sandbox.containment`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Mapping
from pathlib import Path

from sandbox.base import Sandbox, command_argv, inside_cwd, merged_env
from sandbox.bwrap import bwrap_path
from sandbox.containment import CgroupContainment, Containment, TreeContainment
from sandbox.errors import SandboxError, SandboxGone, SpecError
from sandbox.gpu import gpu_usage
from sandbox.hierarchy import agents_with_cgroups, cgroup_for, cgroups_available
from sandbox.isolation import isolation_for
from sandbox.output import OutputCallback
from sandbox.process import collect
from sandbox.procs import signal_tree
from sandbox.results import ExecResult, SandboxStats
from sandbox.runtime import base_env, host_runtime
from sandbox.seccomp import Loader, supported
from sandbox.spec import WORKSPACE, SandboxSpec
from sandbox.users import engine_is_root, hand_over_workspace, passwd_lines, sandbox_user

log = logging.getLogger("sandbox")
_warned_unisolated = False


def state_root(state_dir: Path | str | None = None) -> Path:
    """Where local sandboxes keep their spec so that a restarted engine finds them."""
    if state_dir is not None:
        return Path(state_dir)
    if configured := os.environ.get("AAR_SANDBOX_STATE_DIR"):
        return Path(configured)
    if engine_is_root():
        return Path("/run/aar-sandbox")
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        return Path(runtime_dir, "aar-sandbox")
    return Path(f"/tmp/aar-sandbox-{os.getuid()}")


def sandbox_name(run_id: str, agent_id: str) -> str:
    return f"aar-{run_id}-{agent_id}"


class LocalSandbox(Sandbox):
    backend = "local"

    def __init__(
        self, spec: SandboxSpec, state_dir: Path, use_cgroups: bool, outlive_engine: bool = False
    ) -> None:
        name = sandbox_name(spec.run_id, spec.agent_id)
        super().__init__(name, spec)
        self._state = state_dir
        self._runtime = host_runtime(spec.python_packages)
        self._running: set[int] = set()
        self._paused = False
        self.limits: dict[str, str] = {}
        self._containment: Containment = (
            CgroupContainment(cgroup_for(spec.run_id, spec.agent_id), spec)
            if use_cgroups
            else TreeContainment(self._running, spec)
        )
        self._isolation = isolation_for(
            bwrap_path(),
            spec,
            self._runtime,
            state_dir,
            self._containment,
            name=name,
            outlive_engine=outlive_engine,
        )
        self.isolated = self._isolation.isolated
        # bwrap as root makes no user namespace, so its --disable-userns cannot apply: a
        # seccomp filter, loaded in each command's process, refuses new ones instead.
        self._no_userns = Loader() if self.isolated and engine_is_root() and supported() else None

    # -- life cycle -------------------------------------------------------------------

    @classmethod
    def make(
        cls,
        spec: SandboxSpec,
        *,
        state_dir: Path | str | None = None,
        use_cgroups: bool | None = None,
        outlive_engine: bool = False,
    ) -> LocalSandbox:
        """Options: `state_dir`, `use_cgroups` (default: when they can be made), and
        `outlive_engine`: keep the sandbox's processes running when the engine exits, for a
        later `reattach` (by default they end with it; reattach still works, with the
        workspace, but not the background jobs, kept)."""
        if not spec.workspace.is_dir():
            raise SpecError(
                f"workspace {str(spec.workspace)!r} must be an existing directory for a local"
                " sandbox (only a remote Docker host keeps its own)"
            )
        home = state_root(state_dir) / spec.run_id / spec.agent_id
        if (home / "spec.json").exists():
            raise SandboxError(
                f"a local sandbox for run {spec.run_id!r}, agent"
                f" {spec.agent_id!r} exists already; reattach or remove it"
            )
        use = cgroups_available() if use_cgroups is None else use_cgroups
        box = cls(spec, home, use, outlive_engine)
        box._warn_if_unisolated()
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            _write_etc(home / "etc")
            hand_over_workspace(spec.workspace)
            box.limits = box._apply_limits()
            box._isolation.start()
        except BaseException:
            # a sandbox that did not start leaves nothing behind
            box._containment.remove()
            shutil.rmtree(home, ignore_errors=True)
            raise
        (home / "spec.json").write_text(
            json.dumps(
                {
                    "spec": spec.to_dict(),
                    "cgroups": use,
                    "limits": box.limits,
                    "outlive_engine": outlive_engine,
                }
            )
        )
        return box

    @classmethod
    def load(cls, home: Path) -> LocalSandbox:
        saved = json.loads((home / "spec.json").read_text())
        box = cls(
            SandboxSpec.from_dict(saved["spec"]),
            home,
            saved["cgroups"],
            saved.get("outlive_engine", False),
        )
        box.limits = saved.get("limits", {})
        if not box._containment.exists():
            box._apply_limits()
        box._isolation.restore()
        return box

    def _apply_limits(self) -> dict[str, str]:
        spec = self.spec
        applied = self._containment.create()
        for name, value in (("memory", spec.memory_mb), ("cpus", spec.cpus), ("pids", spec.pids)):
            if value is not None:
                applied.setdefault(name, "not applied: no cgroup can be made here")
        applied["network"] = "on" if spec.network or not self.isolated else "off"
        if spec.gpus:
            applied["gpus"] = ",".join(spec.gpus) + " (device nodes, CUDA_VISIBLE_DEVICES)"
        return applied

    def _warn_if_unisolated(self) -> None:
        global _warned_unisolated
        if not self.isolated and not _warned_unisolated:
            _warned_unisolated = True
            log.warning(
                "bubblewrap (bwrap) is not installed: local sandboxes are NOT"
                " isolated; commands see the host's files and network."
                " Install the Debian package 'bubblewrap'."
            )

    # -- commands ---------------------------------------------------------------------

    async def exec(
        self,
        cmd: list[str] | str,
        *,
        timeout: float | None = None,
        cwd: str = WORKSPACE,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        on_output: OutputCallback | None = None,
    ) -> ExecResult:
        self._check_usable()
        command = command_argv(cmd)
        env_all = merged_env(base_env(self._runtime.env()), self._gpu_env(), env)
        await self._isolation.ready()
        launch = self._isolation.launch(self._containment.prefix(), command, inside_cwd(cwd))
        options_fd = launch.options_fd
        started = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *launch.argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env_all,
                cwd=launch.host_cwd,
                start_new_session=True,
                pass_fds=() if options_fd is None else (options_fd,),
                preexec_fn=self._no_userns,
            )
        except OSError as exc:
            raise SandboxError(f"cannot start a command in {self.id}: {exc}") from None
        finally:
            if options_fd is not None:
                os.close(options_fd)
        self._running.add(proc.pid)
        try:
            return await collect(
                proc,
                stdin=stdin,
                timeout=timeout,
                on_output=on_output,
                limit=self.spec.output_limit,
                started=started,
                kill=self._isolation.kill_command,
            )
        finally:
            self._running.discard(proc.pid)

    def _gpu_env(self) -> dict[str, str]:
        env = dict(self.spec.env)
        if self.spec.gpus:
            # nvidia-smi's indexes are PCI bus order; CUDA's default order is another.
            env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
            env.setdefault("CUDA_VISIBLE_DEVICES", ",".join(self.spec.gpus))
        return env

    # -- control ----------------------------------------------------------------------

    async def pause(self) -> None:
        self._check_usable()
        await asyncio.to_thread(self._containment.freeze)
        self._paused = True

    async def resume(self) -> None:
        self._check_present()
        await asyncio.to_thread(self._containment.thaw)
        self._paused = False

    async def stop(self) -> None:
        self._check_present()
        await asyncio.to_thread(self._kill_all)
        self._paused = False
        (self._state / "stopped").touch()

    def _kill_all(self) -> None:
        self._containment.kill_all()
        for pid in list(self._running):
            signal_tree({pid}, signal.SIGCONT)
            self._isolation.kill_command(pid)
        self._isolation.end()

    async def remove(self) -> None:
        if self._removed:
            return
        await asyncio.to_thread(self._kill_all)
        await asyncio.to_thread(self._containment.remove)
        await asyncio.to_thread(shutil.rmtree, self._state, True)
        with contextlib.suppress(OSError):
            self._state.parent.rmdir()
        self._removed = True

    async def stats(self) -> SandboxStats:
        self._check_present()
        gpu = await asyncio.to_thread(gpu_usage, self.spec.gpus)
        cpu, memory, count = await asyncio.to_thread(self._containment.usage)
        return SandboxStats(cpu, memory, count, gpu)

    async def status(self) -> str:
        if self._removed or not (self._state / "spec.json").exists():
            return "removed"
        if (self._state / "stopped").exists():
            state = "stopped"
        elif self._paused or self._containment.frozen():
            state = "paused"
        else:
            state = "running"
        return state if self.isolated else f"{state}, not isolated"

    def _check_usable(self) -> None:
        self._check_present()
        if (self._state / "stopped").exists():
            raise SandboxGone(f"sandbox {self.id} is stopped; create a new one")
        if self._paused or self._containment.frozen():
            raise SandboxError(f"sandbox {self.id} is paused; resume it before running commands")


def _write_etc(etc: Path) -> None:
    etc.mkdir(exist_ok=True)
    passwd, group = passwd_lines(*sandbox_user())
    (etc / "passwd").write_text(passwd)
    (etc / "group").write_text(group)
    (etc / "hosts").write_text("127.0.0.1 localhost sandbox\n::1 localhost\n")
    for name in ("passwd", "group", "hosts"):
        os.chmod(etc / name, 0o644)


async def reattach(run_id: str, *, state_dir: Path | str | None = None) -> list[LocalSandbox]:
    run_dir = state_root(state_dir) / run_id
    if not run_dir.is_dir():
        return []
    homes = sorted(p for p in run_dir.iterdir() if (p / "spec.json").exists())
    return [await asyncio.to_thread(LocalSandbox.load, home) for home in homes]


async def remove_orphans(
    run_id: str, keep: set[str], *, state_dir: Path | str | None = None
) -> int:
    removed = 0
    for box in await reattach(run_id, state_dir=state_dir):
        if box.id not in keep and box.spec.agent_id not in keep:
            await box.remove()
            removed += 1
    if cgroups_available():
        # cgroups left by an engine that died before it wrote the sandbox's spec
        known = {b.spec.agent_id for b in await reattach(run_id, state_dir=state_dir)}
        for agent_id in agents_with_cgroups(run_id):
            if agent_id not in known and agent_id not in keep:
                await asyncio.to_thread(cgroup_for(run_id, agent_id).remove)
                removed += 1
    return removed

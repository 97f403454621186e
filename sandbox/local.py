"""The local backend: bubblewrap namespaces, held by cgroups, no Docker needed.

As root with cgroups (v1, else v2), a sandbox is one long-lived bwrap, the holder
(`sandbox.holder`): commands enter its namespaces with nsenter inside its cgroups,
then drop to the unprivileged user; background jobs outlive their command (and, when asked,
the engine). Otherwise each command gets its own bwrap, with rlimits for
memory and signals for pause, and its PID namespace ends with it. Without bwrap at all it
still runs, not isolated, and says so.
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
from sandbox.bwrap import bwrap_argv, bwrap_path, nsenter_argv, options_in_fd
from sandbox.errors import SandboxError, SandboxGone, SpecError
from sandbox.gpu import gpu_usage
from sandbox.hierarchy import agents_with_cgroups, cgroup_for, cgroups_available
from sandbox.holder import KEEP_ALIVE, Holder, reap, start_holder
from sandbox.output import OutputCallback
from sandbox.process import collect
from sandbox.procs import descendants, memory_bytes, signal_tree
from sandbox.results import ExecResult, SandboxStats
from sandbox.runtime import base_env, host_runtime
from sandbox.seccomp import Loader, supported
from sandbox.spec import WORKSPACE, SandboxSpec
from sandbox.users import engine_is_root, hand_over_workspace, passwd_lines, sandbox_user

log = logging.getLogger("sandbox")

# Joins the sandbox's cgroups (one cgroup.procs file per argument up to "--"), then execs.
_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'
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
        super().__init__(sandbox_name(spec.run_id, spec.agent_id), spec)
        self._state = state_dir
        self._runtime = host_runtime(spec.python_packages)
        self._bwrap = bwrap_path()
        self.isolated = self._bwrap is not None
        self._cgroup = cgroup_for(spec.run_id, spec.agent_id) if use_cgroups else None
        # A holder needs root (nsenter) and a cgroup to hold what runs in it.
        self._held = self.isolated and use_cgroups and engine_is_root()
        self._holder: Holder | None = None
        self._outlive_engine = outlive_engine
        self._holder_lock = asyncio.Lock()
        self._running: set[int] = set()
        self._paused = False
        self.limits: dict[str, str] = {}
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
            if box._held:
                box._start_holder()
        except BaseException:
            # a sandbox that did not start leaves nothing behind
            if box._cgroup is not None:
                box._cgroup.remove()
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
        if box._cgroup is not None and not box._cgroup.exists():
            box._apply_limits()
        box._holder = Holder.load(home / "holder.json")
        return box

    def _apply_limits(self) -> dict[str, str]:
        spec = self.spec
        if self._cgroup is not None:
            applied = self._cgroup.create(memory_mb=spec.memory_mb, cpus=spec.cpus, pids=spec.pids)
        else:
            applied = {}
            if spec.memory_mb is not None:
                applied["memory"] = f"{spec.memory_mb} MiB (RLIMIT_DATA, per process)"
        for name, value in (("memory", spec.memory_mb), ("cpus", spec.cpus), ("pids", spec.pids)):
            if value is not None:
                applied.setdefault(name, "not applied: no cgroup can be made here")
        applied["network"] = "on" if spec.network or not self.isolated else "off"
        if spec.gpus:
            applied["gpus"] = ",".join(spec.gpus) + " (device nodes, CUDA_VISIBLE_DEVICES)"
        return applied

    def _start_holder(self) -> None:
        assert self._cgroup is not None and self._bwrap is not None
        join = ["/bin/sh", "-c", _JOIN, "aar-join", *self._cgroup.procs_files(), "--"]
        bwrap, etc = self._bwrap, self._state / "etc"

        def argv(info_fd: int) -> tuple[list[str], int]:
            short, fd = options_in_fd(
                bwrap_argv(
                    bwrap,
                    self.spec,
                    self._runtime,
                    etc,
                    WORKSPACE,
                    KEEP_ALIVE,
                    info_fd=info_fd,
                    holder=True,
                    outlive_engine=self._outlive_engine,
                )
            )
            return join + short, fd

        self._holder = start_holder(argv, self._state / "holder.log")
        self._holder.save(self._state / "holder.json")

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
        if self._held:
            await self._ensure_holder()
        argv, host_cwd, options_fd = self._argv(command, inside_cwd(cwd))
        started = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env_all,
                cwd=host_cwd,
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
                kill=self._kill_command,
            )
        finally:
            self._running.discard(proc.pid)

    async def _ensure_holder(self) -> None:
        async with self._holder_lock:  # two commands must not start two holders
            if self._holder is not None and self._holder.alive():
                return
            # Expected after an engine restart, unless the sandbox was to outlive the engine.
            log.log(
                logging.WARNING if self._outlive_engine else logging.INFO,
                "sandbox %s had no running holder; starting a new one",
                self.id,
            )
            await asyncio.to_thread(self._start_holder)

    def _gpu_env(self) -> dict[str, str]:
        env = dict(self.spec.env)
        if self.spec.gpus:
            # nvidia-smi's indexes are PCI bus order; CUDA's default order is another.
            env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
            env.setdefault("CUDA_VISIBLE_DEVICES", ",".join(self.spec.gpus))
        return env

    def _argv(self, command: list[str], cwd: str) -> tuple[list[str], str | None, int | None]:
        """The command line, the host directory to start in (unisolated only), and the fd
        of bwrap's options, which the caller passes to the command and then closes."""
        prefix: list[str] = []
        if self._cgroup is not None:
            prefix += ["/bin/sh", "-c", _JOIN, "aar-join", *self._cgroup.procs_files(), "--"]
        elif self.spec.memory_mb is not None:
            limit = self.spec.memory_mb << 20
            prefix += ["prlimit", f"--data={limit}:{limit}", "--"]
        if self._held and self._holder is not None:
            return prefix + nsenter_argv(self._holder.init, cwd, command), None, None
        if self._bwrap is not None:
            short, fd = options_in_fd(
                bwrap_argv(self._bwrap, self.spec, self._runtime, self._state / "etc", cwd, command)
            )
            return prefix + short, None, fd
        if engine_is_root():
            uid, gid = sandbox_user()
            prefix += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"]
        return prefix + command, str(self._host_cwd(cwd)), None

    def _host_cwd(self, cwd: str) -> Path:
        """Without bwrap there is no /workspace: run in the workspace's host directory."""
        if cwd == WORKSPACE or cwd.startswith(WORKSPACE + "/"):
            return self.spec.workspace / cwd[len(WORKSPACE) :].lstrip("/")
        return self.spec.workspace

    def _kill_command(self, pid: int) -> None:
        """On a timeout: every process of the sandbox goes, the holder excepted."""
        if self._held and self._cgroup is not None and self._holder is not None:
            self._cgroup.signal_all(signal.SIGKILL, self._holder.pids())
        elif self._bwrap is None:
            signal_tree({pid}, signal.SIGKILL)
        # bwrap's reaper dies with it (--die-with-parent) and takes its PID namespace along.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    # -- control ----------------------------------------------------------------------

    async def pause(self) -> None:
        self._check_usable()
        if self._cgroup is not None:
            await asyncio.to_thread(self._cgroup.freeze)
        else:
            await asyncio.to_thread(signal_tree, set(self._running), signal.SIGSTOP)
        self._paused = True

    async def resume(self) -> None:
        self._check_present()
        if self._cgroup is not None:
            await asyncio.to_thread(self._cgroup.thaw)
        else:
            await asyncio.to_thread(signal_tree, set(self._running), signal.SIGCONT)
        self._paused = False

    async def stop(self) -> None:
        self._check_present()
        await asyncio.to_thread(self._kill_all)
        self._paused = False
        (self._state / "stopped").touch()

    def _kill_all(self) -> None:
        if self._cgroup is not None:
            self._cgroup.kill_all()
        for pid in list(self._running):
            signal_tree({pid}, signal.SIGCONT)
            self._kill_command(pid)
        if self._holder is not None:
            reap(self._holder.outer)

    async def remove(self) -> None:
        if self._removed:
            return
        await asyncio.to_thread(self._kill_all)
        if self._cgroup is not None:
            await asyncio.to_thread(self._cgroup.remove)
        await asyncio.to_thread(shutil.rmtree, self._state, True)
        with contextlib.suppress(OSError):
            self._state.parent.rmdir()
        self._removed = True

    async def stats(self) -> SandboxStats:
        self._check_present()
        gpu = await asyncio.to_thread(gpu_usage, self.spec.gpus)
        if self._cgroup is not None:
            cpu, memory, count = await asyncio.to_thread(self._cgroup.usage)
            if memory is None:
                # No memory controller reaches the cgroup (cgroup v2 in a container whose
                # controllers cannot be handed down): add up what its processes hold.
                pids = set(await asyncio.to_thread(self._cgroup.pids))
                memory = await asyncio.to_thread(memory_bytes, pids)
            return SandboxStats(cpu, memory, count, gpu)
        pids = await asyncio.to_thread(descendants, set(self._running))
        return SandboxStats(None, memory_bytes(pids), len(pids), gpu)

    async def status(self) -> str:
        if self._removed or not (self._state / "spec.json").exists():
            return "removed"
        if (self._state / "stopped").exists():
            state = "stopped"
        elif self._paused or (self._cgroup is not None and self._cgroup.frozen()):
            state = "paused"
        else:
            state = "running"
        return state if self.isolated else f"{state}, not isolated"

    def _check_usable(self) -> None:
        self._check_present()
        if (self._state / "stopped").exists():
            raise SandboxGone(f"sandbox {self.id} is stopped; create a new one")
        if self._paused or (self._cgroup is not None and self._cgroup.frozen()):
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

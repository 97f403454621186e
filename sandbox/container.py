"""The Docker backend: one container per agent, labelled with its run and agent.

Defaults: no network, a non-root user, every capability dropped, no-new-privileges, a
read-only root with a private /tmp, memory, CPU and process limits. On a local engine the
bundle is bind-mounted read-only and the workspace read-write; on a remote one both are
volumes of the engine's own machine (`sandbox.volumes`), and files are reached through the
container itself (`sandbox.containerfiles`). Every SDK call runs in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.base import Sandbox, command_argv, inside_cwd, merged_env
from sandbox.containerfiles import ContainerFiles
from sandbox.dockerexec import run as run_exec
from sandbox.dockerhost import docker_client, is_local
from sandbox.errors import BackendUnavailable, SandboxError, SandboxGone, SpecError
from sandbox.gpu import gpu_usage
from sandbox.image import ensure_host_runtime_image
from sandbox.output import OutputCallback
from sandbox.results import ExecResult, SandboxStats
from sandbox.runtime import base_env, etc_entries, host_runtime, system_dirs
from sandbox.spec import WORKSPACE, SandboxSpec
from sandbox.users import hand_over_workspace, sandbox_user
from sandbox.volumes import (
    LABEL_RUN,
    create_volumes,
    fill_volumes,
    labels,
    mount_volumes,
    remove_orphan_volumes,
    remove_volumes,
    workspace_volume,
)

LABEL_SPEC = "aar.spec"
TMP_SIZE = "1g"
# How file access goes: through host paths (local engines only) or through the container.
FILES_MODES = ("host", "container")


def container_name(spec: SandboxSpec) -> str:
    return f"aar-{spec.run_id}-{spec.agent_id}"


def container_config(spec: SandboxSpec, image: str, host_runtime_mounts: bool) -> dict[str, Any]:
    """The keyword arguments of `containers.create` for a spec (the request that is sent)."""
    from docker.types import DeviceRequest, Mount

    volume = workspace_volume(spec)
    if volume is None:
        mounts = [Mount(WORKSPACE, str(spec.workspace), type="bind", read_only=False)]
    else:
        mounts = [Mount(WORKSPACE, volume, type="volume", read_only=False, no_copy=True)]
    remote_mounts = mount_volumes(spec)
    mounts += [
        Mount(t, remote_mounts[t], type="volume", read_only=True, no_copy=True)
        if remote_mounts
        else Mount(t, str(s), type="bind", read_only=True)
        for t, s in spec.mounts.items()
    ]
    env = base_env()
    del env["PATH"]  # an image keeps its own PATH (conda's python, say)
    if host_runtime_mounts:
        runtime = host_runtime(spec.python_packages)
        env = base_env(runtime.env())
        mounts += [
            Mount(p, p, type="bind", read_only=True) for p, link in system_dirs() if link is None
        ]
        mounts += [Mount(p, p, type="bind", read_only=True) for p in etc_entries()]
        mounts += [
            Mount(inside, str(host), type="bind", read_only=True)
            for host, inside in runtime.python_mounts()
        ]
    env.update(spec.env)
    config: dict[str, Any] = {
        "image": image,
        "command": ["sleep", "infinity"],
        "name": container_name(spec),
        "hostname": "sandbox",
        "labels": {**labels(spec), LABEL_SPEC: json.dumps(spec.to_dict())},
        # init and its keep-alive run as root without any capability: the sandbox's user,
        # who runs every command, can neither kill them nor take the container down.
        "user": "0:0",
        "working_dir": WORKSPACE,
        "environment": env,
        "mounts": mounts,
        "init": True,
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,size={TMP_SIZE},mode=1777"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "network_mode": None if spec.network else "none",
    }
    if spec.memory_mb is not None:
        config["mem_limit"] = f"{spec.memory_mb}m"
        config["memswap_limit"] = f"{spec.memory_mb}m"
    if spec.cpus is not None:
        config["nano_cpus"] = int(spec.cpus * 1e9)
    if spec.pids is not None:
        config["pids_limit"] = spec.pids
    if spec.gpus:
        config["device_requests"] = [
            DeviceRequest(driver="nvidia", device_ids=list(spec.gpus), capabilities=[["gpu"]])
        ]
        config["environment"]["NVIDIA_VISIBLE_DEVICES"] = ",".join(spec.gpus)
    if config["network_mode"] is None:
        del config["network_mode"]
    return config


class DockerSandbox(Sandbox):
    backend = "docker"
    isolated = True

    def __init__(
        self, spec: SandboxSpec, client: Any, container: Any, files: str | None = None
    ) -> None:
        super().__init__(container_name(spec), spec)
        self._client = client
        self._container = container
        self._last_cpu: tuple[float, int] | None = None
        self.limits = _limits(spec)
        self.files_mode = _files_mode(spec, files)
        if self.files_mode == "container":
            self._files = ContainerFiles(client.api, container.id, spec.mounts, _user(), self.id)

    @property
    def container_id(self) -> str:
        return self._container.id

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
        self._check_present()
        argv = command_argv(cmd)
        extra = merged_env({}, {}, env)
        import docker

        try:
            return await run_exec(
                self._client.api,
                self._container.id,
                argv,
                cwd=inside_cwd(cwd),
                env=extra,
                stdin=stdin,
                timeout=timeout,
                on_output=on_output,
                limit=self.spec.output_limit,
                user=_user(),
            )
        except docker.errors.NotFound:
            raise SandboxGone(f"the container of sandbox {self.id} is gone") from None
        except docker.errors.APIError as exc:
            # e.g. 409 when it is paused or stopped: commands run only while it runs
            raise SandboxError(
                f"sandbox {self.id} cannot run a command now: {exc.explanation or exc}"
            ) from None

    async def pause(self) -> None:
        await self._call(self._container.pause, already="already paused")

    async def resume(self) -> None:
        await self._call(self._container.unpause, already="is not paused")

    async def stop(self) -> None:
        await self._call(self._container.stop, timeout=0)

    async def remove(self) -> None:
        if self._removed:
            return
        import docker

        with contextlib.suppress(docker.errors.NotFound):
            await asyncio.to_thread(self._container.remove, force=True, v=True)
        await asyncio.to_thread(remove_volumes, self._client, self.spec)
        self._removed = True

    async def stats(self) -> SandboxStats:
        self._check_present()
        return await asyncio.to_thread(self._sample)

    def _sample(self) -> SandboxStats:
        raw = self._client.api.stats(self._container.id, stream=False, one_shot=True)
        now = time.monotonic()
        cpu_ns = raw.get("cpu_stats", {}).get("cpu_usage", {}).get("total_usage")
        percent = None
        if cpu_ns is not None:
            if self._last_cpu is None:
                self._last_cpu = (now, cpu_ns)
                time.sleep(0.1)
                return self._sample()
            then, used = self._last_cpu
            percent = 100.0 * (cpu_ns - used) / 1e9 / max(now - then, 1e-6)
            self._last_cpu = (now, cpu_ns)
        memory = raw.get("memory_stats", {}).get("usage")
        pids = raw.get("pids_stats", {}).get("current")
        # nvidia-smi on this machine sees the GPUs of a local engine only.
        gpu = gpu_usage(self.spec.gpus) if is_local(self.spec.docker_host) else None
        return SandboxStats(percent, memory, pids, gpu)

    async def status(self) -> str:
        if self._removed:
            return "removed"
        import docker

        try:
            await asyncio.to_thread(self._container.reload)
        except docker.errors.NotFound:
            return "removed"
        state = self._container.status
        return {"running": "running", "paused": "paused"}.get(state, "stopped")

    async def _call(
        self, method: Callable[..., object], already: str | None = None, **kwargs: Any
    ) -> None:
        """Call the SDK off the loop; `already` is the engine's word for "nothing to do"."""
        self._check_present()
        import docker

        try:
            await asyncio.to_thread(method, **kwargs)
        except docker.errors.NotFound:
            raise SandboxGone(f"the container of sandbox {self.id} is gone") from None
        except docker.errors.APIError as exc:
            if already and already in str(exc.explanation or exc):
                return
            raise SandboxError(f"sandbox {self.id}: {exc.explanation or exc}") from None


def _files_mode(spec: SandboxSpec, files: str | None) -> str:
    if files is None:
        return "host" if is_local(spec.docker_host) else "container"
    if files not in FILES_MODES:
        raise SpecError(f"files {files!r} is unknown: allowed are {', '.join(FILES_MODES)}")
    if files == "host" and not is_local(spec.docker_host):
        raise SpecError(
            f"docker_host {spec.docker_host} is remote: its sandboxes' files can only be"
            " reached through the container (files='container')"
        )
    return files


def _user() -> str:
    uid, gid = sandbox_user()
    return f"{uid}:{gid}"


def _limits(spec: SandboxSpec) -> dict[str, str]:
    limits = {"network": "on" if spec.network else "off (network_mode none)"}
    if spec.memory_mb is not None:
        limits["memory"] = f"{spec.memory_mb} MiB (mem_limit)"
    if spec.cpus is not None:
        limits["cpus"] = f"{spec.cpus:g} (nano_cpus)"
    if spec.pids is not None:
        limits["pids"] = f"{spec.pids} (pids_limit)"
    if spec.gpus:
        limits["gpus"] = ",".join(spec.gpus) + " (device_requests)"
    return limits


def _create_blocking(
    spec: SandboxSpec, client: Any | None, files: str | None, host_runtime: bool
) -> DockerSandbox:

    remote = not is_local(spec.docker_host)
    if spec.image is None and remote and not host_runtime:
        raise SpecError(
            f"docker_host {spec.docker_host} is remote: give an image built from"
            " sandbox/Dockerfile, since the host's runtime cannot be mounted there"
        )
    _files_mode(spec, files)
    client = client or docker_client(spec.docker_host)
    image = spec.image or ensure_host_runtime_image(client)
    volume = workspace_volume(spec)
    if volume is None:
        hand_over_workspace(spec.workspace)
    else:
        create_volumes(client, spec)
    try:
        return _start(spec, client, image, volume, files)
    except BaseException:
        remove_volumes(client, spec)
        raise


def _start(
    spec: SandboxSpec, client: Any, image: str, volume: str | None, files: str | None
) -> DockerSandbox:
    import docker

    config = container_config(spec, image, host_runtime_mounts=spec.image is None)
    try:
        if volume is not None:
            fill_volumes(client, spec, config, _user())
        container = client.containers.create(**config)
    except docker.errors.ImageNotFound:
        raise BackendUnavailable(
            f"the Docker image {image!r} is not on the engine; build it"
            " with `docker build -f sandbox/Dockerfile .`"
        ) from None
    except docker.errors.APIError as exc:
        if exc.status_code == 409:
            raise SandboxError(
                f"a container named {config['name']} exists already; reattach"
                " or remove the run's sandboxes"
            ) from None
        raise SandboxError(f"Docker refused the sandbox: {exc.explanation or exc}") from None
    try:
        container.start()
        container.reload()
    except docker.errors.APIError as exc:
        container.remove(force=True, v=True)
        raise SandboxError(
            f"the sandbox's container would not start: {exc.explanation or exc}"
        ) from None
    return DockerSandbox(spec, client, container, files)


async def create_container(
    spec: SandboxSpec,
    *,
    client: Any | None = None,
    docker_host: str | None = None,
    files: str | None = None,
    host_runtime: bool = False,
) -> DockerSandbox:
    """Make and start the container; `docker_host` is used when the spec names none.

    `files` picks how files are reached ("host" or "container"; by default "host" on a
    local engine, "container" on a remote one). `host_runtime` lets a remote engine run the
    image of this machine's runtime, for a machine that has the same files at the same
    paths (and the tests, whose "remote" engine is this machine reached over ssh).
    """
    if spec.docker_host is None and docker_host is not None:
        spec = dataclasses.replace(spec, docker_host=docker_host)
    return await asyncio.to_thread(_create_blocking, spec, client, files, host_runtime)


def _find_blocking(
    run_id: str, docker_host: str | None, client: Any | None, files: str | None
) -> list[DockerSandbox]:
    client = client or docker_client(docker_host)
    found = client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"})
    boxes = []
    for container in found:
        try:
            spec = SandboxSpec.from_dict(json.loads(container.labels[LABEL_SPEC]))
        except (KeyError, ValueError, SandboxError):
            continue
        boxes.append(DockerSandbox(spec, client, container, files))
    return sorted(boxes, key=lambda b: b.id)


async def reattach(
    run_id: str,
    *,
    docker_host: str | None = None,
    client: Any | None = None,
    files: str | None = None,
    host_runtime: bool = False,
) -> list[DockerSandbox]:
    """The run's containers on the host; `host_runtime` is accepted as `create` takes it."""
    return await asyncio.to_thread(_find_blocking, run_id, docker_host, client, files)


async def remove_orphans(
    run_id: str,
    keep: set[str],
    *,
    docker_host: str | None = None,
    client: Any | None = None,
    files: str | None = None,
    host_runtime: bool = False,
) -> int:
    removed = 0
    for box in await reattach(run_id, docker_host=docker_host, client=client, files=files):
        if box.id not in keep and box.spec.agent_id not in keep:
            await box.remove()
            removed += 1
    # A workspace volume whose container is gone (an engine stopped between the two).
    await asyncio.to_thread(remove_orphan_volumes, run_id, keep, docker_host, client)
    return removed

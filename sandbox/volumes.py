"""The volumes of a sandbox on a remote Docker engine, where no path of this machine exists.

There the workspace is a volume of the engine's machine, carrying the sandbox's run and
agent labels and going with it. Each read-only mount (the bundle, a model under /models) is
a volume named by a digest of its content (paths, sizes and times of its files), copied
once per host and kept for every later sandbox that mounts the same content: a 4B model is
not copied again for each agent. A short-lived twin of the sandbox's container, allowed
only CAP_CHOWN, receives a new mount's files (`put_archive` before it starts, a marker
file last, so a half-copied volume is never taken for a full one) and hands the workspace
to the sandbox's user, since the sandbox's own container has no capability.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tarfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.dockerhost import docker_client, is_local
from sandbox.errors import SandboxError, SpecError
from sandbox.spec import WORKSPACE, SandboxSpec

if TYPE_CHECKING:
    from docker import DockerClient
    from docker.models.containers import Container

LABEL_RUN = "aar.run"
LABEL_AGENT = "aar.agent"
LABEL_CONTENT = "aar.content"
# Written into a shared volume after its files: its absence means the copy is not complete.
COMPLETE = ".aar-complete"
# One copy at a time per host and volume within this engine.
_filling: dict[tuple[str | None, str], threading.Lock] = {}
_filling_guard = threading.Lock()


def labels(spec: SandboxSpec) -> dict[str, str]:
    return {LABEL_RUN: spec.run_id, LABEL_AGENT: spec.agent_id}


def _prefix(spec: SandboxSpec) -> str:
    return f"aar-{spec.run_id}-{spec.agent_id}"


def workspace_volume(spec: SandboxSpec) -> str | None:
    """The workspace's volume on a remote engine, else None (a bind mount)."""
    return None if is_local(spec.docker_host) else f"{_prefix(spec)}-workspace"


def content_digest(source: Path) -> str:
    """A digest of a directory's files (relative paths, sizes, modification times)."""
    entries = []
    for root, dirs, names in os.walk(source):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            info = os.stat(path)  # through symlinks: a cache's snapshot links to its blobs
            entries.append(f"{os.path.relpath(path, source)}\0{info.st_size}\0{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def mount_volumes(spec: SandboxSpec) -> dict[str, str]:
    """Read-only mount target -> its shared volume on a remote engine; empty on a local one."""
    if is_local(spec.docker_host):
        return {}
    return {
        target: f"aar-ro-{content_digest(Path(source))[:24]}"
        for target, source in spec.mounts.items()
    }


def volume_names(spec: SandboxSpec) -> list[str]:
    """The volumes that go with the sandbox: its workspace (shared mounts stay)."""
    workspace = workspace_volume(spec)
    return [workspace] if workspace else []


def create_volumes(client: DockerClient, spec: SandboxSpec) -> None:
    import docker

    for target, source in spec.mounts.items():
        if not Path(source).is_dir():
            raise SpecError(
                f"mount {target} is the file {source}: a remote Docker host takes directory"
                " mounts only, copied into a volume there"
            )
    for name in volume_names(spec):
        try:
            client.volumes.create(name=name, labels=labels(spec))
        except docker.errors.APIError as exc:
            raise SandboxError(
                f"the volume {name} could not be made: {exc.explanation or exc}"
            ) from None


def fill_volumes(
    client: DockerClient, spec: SandboxSpec, config: dict[str, Any], user: str
) -> None:
    """Copy in the mounts no earlier sandbox on this host copied, and give the workspace to
    `user`, in a twin container."""
    from docker.types import Mount

    shared = mount_volumes(spec)
    locks = [_fill_lock(spec.docker_host, name) for name in sorted(set(shared.values()))]
    for lock in locks:
        lock.acquire()
    try:
        _fill(client, spec, config, user, shared, Mount)
    finally:
        for lock in reversed(locks):
            lock.release()


def _fill_lock(host: str | None, name: str) -> threading.Lock:
    with _filling_guard:
        return _filling.setdefault((host, name), threading.Lock())


def _fill(
    client: DockerClient,
    spec: SandboxSpec,
    config: dict[str, Any],
    user: str,
    shared: dict[str, str],
    mount_type: Any,
) -> None:
    import docker

    for name in sorted(set(shared.values())):
        try:
            client.volumes.get(name)
        except docker.errors.NotFound:
            client.volumes.create(name=name, labels={LABEL_CONTENT: name.removeprefix("aar-ro-")})
    mounts = [m for m in config["mounts"] if m["Target"] not in spec.mounts]
    mounts += [
        mount_type(target, name, type="volume", read_only=False) for target, name in shared.items()
    ]
    twin = {
        **config,
        "name": f"{config['name']}-fill",
        "command": ["chown", user, WORKSPACE],
        "labels": labels(spec),
        "mounts": mounts,
        "cap_add": ["CHOWN"],
        "network_mode": "none",
        "init": False,
    }
    twin.pop("device_requests", None)
    container = client.containers.create(**twin)
    try:
        for target, source in spec.mounts.items():
            if _complete(container, target):
                continue
            if not container.put_archive(target, _tarball(Path(source))):
                raise SandboxError(f"the files of {source} could not be copied to {target}")
            container.put_archive(target, _marker())
        container.start()
        code = container.wait().get("StatusCode")
        if code != 0:
            logs = container.logs().decode(errors="replace").strip()[-300:]
            raise SandboxError(
                f"the workspace volume could not be handed to the sandbox's user: {logs}"
            )
    finally:
        container.remove(force=True)


def _complete(container: Container, target: str) -> bool:
    """Whether the volume at `target` was copied whole by an earlier sandbox."""
    import docker

    try:
        container.get_archive(f"{target}/{COMPLETE}")
        return True
    except docker.errors.NotFound:
        return False


def _marker() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(COMPLETE)
        info.mode = 0o444
        tar.addfile(info, io.BytesIO(b""))
    return buffer.getvalue()


def _tarball(source: Path) -> bytes:
    """The directory's content as a tar, owned by root: read-only inside, readable by all."""

    def neutral(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for child in sorted(source.iterdir()):
            tar.add(child, arcname=child.name, filter=neutral)
    return buffer.getvalue()


def remove_volumes(client: DockerClient, spec: SandboxSpec) -> None:
    for name in volume_names(spec):
        remove_volume(client, name)


def remove_volume(client: DockerClient, name: str) -> None:
    import docker

    # APIError: still in use by a container that is not this sandbox's (a name clash).
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        client.volumes.get(name).remove(force=True)


def remove_orphan_volumes(
    run_id: str, keep: set[str], docker_host: str | None, client: DockerClient | None
) -> None:
    """Volumes of the run whose agent is not kept (their container went before them)."""
    client = client or docker_client(docker_host)
    for volume in client.volumes.list(filters={"label": f"{LABEL_RUN}={run_id}"}):
        agent = (volume.attrs.get("Labels") or {}).get(LABEL_AGENT)
        if agent in keep or f"aar-{run_id}-{agent}" in keep:
            continue
        remove_volume(client, volume.name)

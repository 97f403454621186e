"""The volumes of a sandbox on a remote Docker engine, where no path of this machine exists.

There the workspace is a volume of the engine's machine, and each read-only mount (the
bundle) a volume filled once from this machine's directory. All carry the sandbox's run
and agent labels and go with it. A short-lived twin of the sandbox's container, allowed
only CAP_CHOWN, receives the mounts' files (`put_archive` before it starts) and hands the
workspace to the sandbox's user, since the sandbox's own container has no capability.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
from pathlib import Path
from typing import Any

from sandbox.dockerhost import docker_client, is_local
from sandbox.errors import SandboxError, SpecError
from sandbox.spec import WORKSPACE, SandboxSpec

LABEL_RUN = "aar.run"
LABEL_AGENT = "aar.agent"


def labels(spec: SandboxSpec) -> dict[str, str]:
    return {LABEL_RUN: spec.run_id, LABEL_AGENT: spec.agent_id}


def _prefix(spec: SandboxSpec) -> str:
    return f"aar-{spec.run_id}-{spec.agent_id}"


def workspace_volume(spec: SandboxSpec) -> str | None:
    """The workspace's volume on a remote engine, else None (a bind mount)."""
    return None if is_local(spec.docker_host) else f"{_prefix(spec)}-workspace"


def mount_volumes(spec: SandboxSpec) -> dict[str, str]:
    """Read-only mount target -> its volume on a remote engine; empty on a local one."""
    if is_local(spec.docker_host):
        return {}
    return {
        target: f"{_prefix(spec)}-mount-{re.sub(r'[^A-Za-z0-9_.-]', '_', target.strip('/'))}"
        for target in spec.mounts
    }


def volume_names(spec: SandboxSpec) -> list[str]:
    workspace = workspace_volume(spec)
    return ([workspace] if workspace else []) + list(mount_volumes(spec).values())


def create_volumes(client: Any, spec: SandboxSpec) -> None:
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


def fill_volumes(client: Any, spec: SandboxSpec, config: dict[str, Any], user: str) -> None:
    """Copy the mounts' files in and give the workspace to `user`, in a twin container."""
    from docker.types import Mount

    mounts = [m for m in config["mounts"] if m["Target"] not in spec.mounts]
    mounts += [
        Mount(target, name, type="volume", read_only=False)
        for target, name in mount_volumes(spec).items()
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
            if not container.put_archive(target, _tarball(Path(source))):
                raise SandboxError(f"the files of {source} could not be copied to {target}")
        container.start()
        code = container.wait().get("StatusCode")
        if code != 0:
            logs = container.logs().decode(errors="replace").strip()[-300:]
            raise SandboxError(
                f"the workspace volume could not be handed to the sandbox's user: {logs}"
            )
    finally:
        container.remove(force=True)


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


def remove_volumes(client: Any, spec: SandboxSpec) -> None:
    for name in volume_names(spec):
        remove_volume(client, name)


def remove_volume(client: Any, name: str) -> None:
    import docker

    # APIError: still in use by a container that is not this sandbox's (a name clash).
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        client.volumes.get(name).remove(force=True)


def remove_orphan_volumes(
    run_id: str, keep: set[str], docker_host: str | None, client: Any | None
) -> None:
    """Volumes of the run whose agent is not kept (their container went before them)."""
    client = client or docker_client(docker_host)
    for volume in client.volumes.list(filters={"label": f"{LABEL_RUN}={run_id}"}):
        agent = (volume.attrs.get("Labels") or {}).get(LABEL_AGENT)
        if agent in keep or f"aar-{run_id}-{agent}" in keep:
            continue
        remove_volume(client, volume.name)

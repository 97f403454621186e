"""The minimal image that borrows the host's runtime, for Docker engines on this machine.

No registry is needed: the image is imported from a tarball of an almost empty root, and
containers get the host's system directories, Python and the project's packages mounted
read-only (see `sandbox.runtime`). GPU machines use the full image of `sandbox/Dockerfile`.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from typing import Any

from sandbox.runtime import system_dirs
from sandbox.users import passwd_lines, sandbox_user

HOST_RUNTIME_REPOSITORY = "aar-sandbox-host"
_EMPTY_DIRS = ("etc", "tmp", "proc", "sys", "dev", "opt", "workspace", "root", "run", "var")


def root_tarball() -> bytes:
    """An almost empty root: mount points, the host's /bin-style links, passwd and group."""
    buffer = io.BytesIO()
    now = 0  # a fixed time: the same root gives the same bytes, hence the same tag
    with tarfile.open(fileobj=buffer, mode="w") as tar:

        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, now
            tar.addfile(info)

        def add_file(name: str, text: str) -> None:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, now
            tar.addfile(info, io.BytesIO(data))

        for name in _EMPTY_DIRS:
            add_dir(name, 0o1777 if name == "tmp" else 0o755)
        for path, link in system_dirs():
            # Docker mounts its init at /sbin/docker-init: /sbin must be a directory.
            if link and path != "/sbin":
                info = tarfile.TarInfo(path.lstrip("/"))
                info.type, info.linkname, info.mtime = tarfile.SYMTYPE, link, now
                tar.addfile(info)
            else:
                add_dir(path.lstrip("/"))
        passwd, group = passwd_lines(*sandbox_user())
        add_file("etc/passwd", passwd)
        add_file("etc/group", group)
        add_file("etc/hosts", "127.0.0.1 localhost sandbox\n::1 localhost\n")
    return buffer.getvalue()


def host_runtime_image() -> tuple[str, bytes]:
    """The image's name, tagged by the digest of its root, and the root's tarball."""
    tarball = root_tarball()
    return f"{HOST_RUNTIME_REPOSITORY}:{hashlib.sha256(tarball).hexdigest()[:12]}", tarball


def ensure_host_runtime_image(client: Any) -> str:
    """Import the host-runtime image unless the engine has it; return its name. Blocking."""
    import docker

    name, tarball = host_runtime_image()
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        repository, tag = name.split(":")
        client.api.import_image_from_data(tarball, repository=repository, tag=tag)
    return name

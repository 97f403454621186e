"""A base image for `sandbox/Dockerfile`, made here without a registry, and the image built on it.

The GPU machines' base is a CUDA PyTorch image; here the base is this machine's Python (its
interpreter, standard library, pip and setuptools) and the few system programs the
Dockerfile's steps run, with the shared libraries they load, imported from a tarball as
`sandbox.image` imports the minimal image. The heavy packages a runner imports (torch,
transformers, peft) are not copied into it: `DEPS_MOUNT` is on its PYTHONPATH, and a sandbox
mounts this machine's site-packages there read-only. Under the vfs storage driver every
layer is a full copy, so the base stays near 150 MB and the Dockerfile adds two layers.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path
from typing import Any

from sandbox.runtime import system_dirs

REPO = Path(__file__).resolve().parents[2]
DEPS_MOUNT = "/opt/deps"
# What the Dockerfile's RUN step and the sandbox (its keep-alive, a few commands) call.
PROGRAMS = (
    "sh",
    "bash",
    "useradd",
    "mkdir",
    "chown",
    "rm",
    "id",
    "ls",
    "env",
    "cat",
    "true",
    "sleep",
    "touch",
)
# Standard-library folders no runner needs.
SKIP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "site-packages", "__pycache__"}
BUILD_PACKAGES = ("pip", "setuptools", "_distutils_hack", "pkg_resources")
PIP_OFFLINE = "--no-deps --no-index --no-build-isolation"


def _ldd(path: str) -> set[str]:
    done = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    found = set()
    for line in done.stdout.splitlines():
        for word in line.split():
            if word.startswith("/") and os.path.exists(word):
                found.add(word)
    return found


def _canonical(path: str) -> str:
    """The path with its folders resolved (/lib -> /usr/lib) and its own name kept."""
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _files() -> dict[str, str]:
    """Path inside the image -> file here."""
    home = Path(sys.base_prefix)
    venv_site = Path(sysconfig.get_paths()["purelib"])
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    python = os.path.realpath(sys.executable)
    binaries = [python] + [p for p in (_which(name) for name in PROGRAMS) if p]
    dynload = stdlib / "lib-dynload"
    libraries = set()
    for binary in binaries + [str(p) for p in dynload.glob("*.so")]:
        libraries |= _ldd(binary)
    # What torch's own libraries load from the system (libstdc++, libgcc_s, ...).
    for lib in (venv_site / "torch" / "lib").glob("*.so*"):
        libraries |= _ldd(str(lib))
    out = {_canonical(p): os.path.realpath(p) for p in binaries + sorted(libraries)}
    for path in (home / "lib").glob("libpython*"):
        out[str(path)] = os.path.realpath(path)
    for root, dirs, names in os.walk(stdlib):
        dirs[:] = [d for d in dirs if d not in SKIP]
        for name in names:
            if not name.endswith(".pyc"):
                out[os.path.join(root, name)] = os.path.join(root, name)
    site = stdlib / "site-packages"
    for package in BUILD_PACKAGES:
        for root, dirs, names in os.walk(venv_site / package):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in names:
                source = os.path.join(root, name)
                out[str(site / os.path.relpath(source, venv_site))] = source
    for info in venv_site.glob("*.dist-info"):
        if info.name.split("-")[0] in BUILD_PACKAGES:
            for item in info.iterdir():
                out[str(site / info.name / item.name)] = str(item)
    return out


def _which(name: str) -> str | None:
    for folder in ("/usr/bin", "/usr/sbin", "/bin", "/sbin"):
        candidate = os.path.join(folder, name)
        if os.path.exists(candidate):
            return os.path.realpath(candidate) if name != "sh" else candidate
    return None


def base_tarball() -> bytes:
    """The base's root: system links and mount points, /etc for useradd, Python, programs."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        added: set[str] = {"bin", "lib", "lib64", "sbin"}

        def add_dir(name: str, mode: int = 0o755) -> None:
            if name in added:
                return
            added.add(name)
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)

        def add_text(name: str, text: str, mode: int = 0o644) -> None:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))

        for name in ("etc", "tmp", "proc", "sys", "dev", "opt", "root", "run", "var", "home"):
            add_dir(name, 0o1777 if name == "tmp" else 0o755)
        for path, link in system_dirs():
            if link and path != "/sbin":
                info = tarfile.TarInfo(path.lstrip("/"))
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
        add_text("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        add_text("etc/group", "root:x:0:\n")
        add_text("etc/shadow", "root:*:19000:0:99999:7:::\n", 0o600)
        add_text("etc/gshadow", "root:*::\n", 0o600)
        add_text("etc/login.defs", "UID_MIN 1000\nGID_MIN 1000\nUSERGROUPS_ENAB yes\n")
        for inside, source in sorted(_files().items()):
            parts = Path(inside.lstrip("/")).parts
            for depth in range(1, len(parts)):
                add_dir("/".join(parts[:depth]))
            info = tar.gettarinfo(source, arcname=inside.lstrip("/"))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with open(source, "rb") as f:
                    tar.addfile(info, f)
        interpreter = os.path.realpath(sys.executable)
        for name in ("python", "python3"):
            info = tarfile.TarInfo(os.path.join(os.path.dirname(interpreter), name).lstrip("/"))
            info.type, info.linkname = tarfile.SYMTYPE, os.path.basename(interpreter)
            tar.addfile(info)
    return buffer.getvalue()


def ensure_base_image(client: Any) -> str:
    """Import the base unless the engine has it (tagged by its content); return its name."""
    import docker

    tarball = base_tarball()
    name = f"aar-test-python-base:{hashlib.sha256(tarball).hexdigest()[:12]}"
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        repository, tag = name.split(":")
        python_bin = os.path.dirname(os.path.realpath(sys.executable))
        changes = [
            f"ENV PATH={python_bin}:/usr/local/bin:/usr/bin:/bin:/usr/sbin",
            f"ENV PYTHONPATH={DEPS_MOUNT}",
        ]
        client.api.import_image_from_data(tarball, repository=repository, tag=tag, changes=changes)
    return name


def build_sandbox_image(client: Any, base: str) -> str:
    """`sandbox/Dockerfile` built on `base` with pip offline; returns the image's name."""
    from docker.errors import BuildError

    tag = f"aar-sandbox:test-{base.rsplit(':', 1)[1]}"
    try:
        client.images.build(
            path=str(REPO),
            dockerfile="sandbox/Dockerfile",
            buildargs={"BASE": base, "PIP_OPTIONS": PIP_OFFLINE},
            tag=tag,
            network_mode="none",
            rm=True,
            forcerm=True,
        )
    except BuildError as exc:
        log = "".join(str(chunk.get("stream", chunk)) for chunk in exc.build_log)
        raise AssertionError(f"docker build failed: {exc}\n{log[-3000:]}") from None
    return tag

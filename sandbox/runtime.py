"""The host's Python runtime, shared read-only with sandboxes that have none of their own.

A local sandbox (and a Docker sandbox without an image) sees the host's system directories,
the Python installation, the virtualenv and the project's packages that commands may import
(`w2s`), each mounted read-only, and nothing else of the host: not the project tree, where a
run directory with hidden labels may live.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sandbox.errors import BackendUnavailable

# Packages of the project are mounted here, and this directory is put on PYTHONPATH.
PACKAGES_DIR = "/opt/aar/lib"
HOME = "/tmp"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
# The few files of /etc that programs need to start (Debian's alternatives, the loader).
ETC_ENTRIES = (
    "alternatives",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "ssl",
    "nsswitch.conf",
)


@dataclass(frozen=True)
class HostRuntime:
    python_home: Path
    venv: Path | None
    packages: dict[str, Path]

    @property
    def bin_dir(self) -> str:
        return str((self.venv or self.python_home) / "bin")

    def python_mounts(self) -> list[tuple[Path, str]]:
        """(host path, inside path) pairs of the runtime, all read-only."""
        pairs = [(self.python_home, str(self.python_home))]
        if self.venv is not None:
            pairs.append((self.venv, str(self.venv)))
        pairs += [(path, f"{PACKAGES_DIR}/{name}") for name, path in self.packages.items()]
        return pairs

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": PACKAGES_DIR,
            "PYTHONDONTWRITEBYTECODE": "1",
        }


def base_env(runtime_env: dict[str, str] | None = None) -> dict[str, str]:
    """What every command sees before the spec's own variables: nothing from the engine."""
    env = {
        "HOME": HOME,
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    env.update(runtime_env or {})
    return env


def host_runtime(packages: tuple[str, ...]) -> HostRuntime:
    """Find the running interpreter's installation, its virtualenv and the named packages."""
    home = Path(sys.base_prefix).resolve()
    venv = Path(sys.prefix) if sys.prefix != sys.base_prefix else None
    found: dict[str, Path] = {}
    for name in packages:
        # find_spec of a top-level name locates the package without importing it.
        spec = importlib.util.find_spec(name)
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            raise BackendUnavailable(
                f"the Python package {name!r} that sandboxes must import is not installed"
                " here; install the project (make bootstrap) or drop it from python_packages"
            )
        found[name] = Path(locations[0]).resolve()
    return HostRuntime(home, venv, found)


def system_dirs() -> list[tuple[str, str | None]]:
    """(path, symlink target or None) for the host's system directories that exist."""
    result: list[tuple[str, str | None]] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            result.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            result.append((path, None))
    return result


def etc_entries() -> list[str]:
    return [f"/etc/{name}" for name in ETC_ENTRIES if os.path.exists(f"/etc/{name}")]

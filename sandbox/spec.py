"""What a sandbox is asked to be: `SandboxSpec`, checked once when it is made."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sandbox.errors import SpecError

WORKSPACE = "/workspace"
DEFAULT_OUTPUT_LIMIT = 1 << 20

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Places inside a sandbox that its runtime owns; a read-only mount may not cover them.
_RESERVED = (
    "/bin",
    "/dev",
    "/etc",
    "/lib",
    "/lib64",
    "/opt/aar",
    "/proc",
    "/sys",
    "/tmp",
    "/usr",
    "/root",
    "/home",
    "/run",
    "/var",
)


@dataclass(frozen=True)
class SandboxSpec:
    """One agent's sandbox: its workspace, read-only mounts, environment and limits.

    `workspace` is a directory of this machine, except on a remote Docker host (`tcp://`,
    `ssh://`), where the sandbox's workspace is a volume of that host and the path is kept
    only as a record. `env` is all the environment a command sees besides
    PATH/HOME/PYTHONPATH: nothing is inherited from the engine. `image=None` on Docker
    means the host's own Python runtime mounted read-only into a minimal image (local
    Docker engines only).
    """

    run_id: str
    agent_id: str
    workspace: Path
    mounts: Mapping[str, Path] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    cpus: float | None = None
    memory_mb: int | None = None
    pids: int | None = None
    gpus: tuple[str, ...] = ()
    network: bool = False
    image: str | None = None
    docker_host: str | None = None
    output_limit: int = DEFAULT_OUTPUT_LIMIT
    # Top-level packages of this project made importable inside when the host's runtime is used.
    python_packages: tuple[str, ...] = ("w2s",)

    def __post_init__(self) -> None:
        for name in ("run_id", "agent_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _ID.match(value):
                raise SpecError(
                    f"{name} {value!r} is not allowed: use 1-63 letters, digits, '_', '.' or '-',"
                    " starting with a letter or digit"
                )
        workspace = Path(self.workspace)
        # On a remote Docker host the workspace is a volume there: the path only names it.
        remote = self.docker_host is not None and not self.docker_host.startswith("unix://")
        if not workspace.is_absolute() or not (remote or workspace.is_dir()):
            raise SpecError(f"workspace {str(workspace)!r} must be an existing absolute directory")
        object.__setattr__(self, "workspace", workspace)
        object.__setattr__(self, "mounts", _checked_mounts(self.mounts))
        object.__setattr__(self, "env", _checked_env(self.env))
        object.__setattr__(self, "gpus", tuple(str(g) for g in self.gpus))
        object.__setattr__(self, "python_packages", tuple(self.python_packages))
        _check_positive("cpus", self.cpus)
        _check_positive("memory_mb", self.memory_mb)
        _check_positive("pids", self.pids)
        if self.memory_mb is not None and self.memory_mb < 16:
            raise SpecError(f"memory_mb {self.memory_mb} is too small: allowed is 16 or more")
        if not isinstance(self.output_limit, int) or self.output_limit < 1024:
            raise SpecError(
                f"output_limit {self.output_limit!r} is too small: allowed is 1024 bytes or more"
            )
        if self.docker_host is not None and not re.match(
            r"^(unix|tcp|ssh|npipe)://", self.docker_host
        ):
            raise SpecError(
                f"docker_host {self.docker_host!r} is not a Docker host URL: allowed are"
                " unix://PATH, tcp://HOST:PORT and ssh://[USER@]HOST"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, kept beside a sandbox so that it can be reattached."""
        return {
            "run_id": self.run_id,
            "agent_id": self.agent_id,
            "workspace": str(self.workspace),
            "mounts": {k: str(v) for k, v in self.mounts.items()},
            "env": dict(self.env),
            "cpus": self.cpus,
            "memory_mb": self.memory_mb,
            "pids": self.pids,
            "gpus": list(self.gpus),
            "network": self.network,
            "image": self.image,
            "docker_host": self.docker_host,
            "output_limit": self.output_limit,
            "python_packages": list(self.python_packages),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SandboxSpec:
        values = dict(data)
        values["workspace"] = Path(values["workspace"])
        values["mounts"] = {k: Path(v) for k, v in values.get("mounts", {}).items()}
        values["gpus"] = tuple(values.get("gpus", ()))
        values["python_packages"] = tuple(values.get("python_packages", ("w2s",)))
        return cls(**values)


def _check_positive(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not value > 0):
        raise SpecError(f"{name} {value!r} is not allowed: give a positive number or None")


def _checked_mounts(mounts: Mapping[str, Path]) -> dict[str, Path]:
    checked: dict[str, Path] = {}
    for target, source in mounts.items():
        pure = PurePosixPath(target)
        if not pure.is_absolute() or ".." in pure.parts or str(pure) != target or target == "/":
            raise SpecError(f"mount target {target!r} must be a normalised absolute path")
        if (
            target == WORKSPACE
            or target.startswith(WORKSPACE + "/")
            or any(target == r or target.startswith(r + "/") for r in _RESERVED)
        ):
            raise SpecError(
                f"mount target {target!r} is not allowed: it would cover {WORKSPACE} or a"
                f" system path ({', '.join(_RESERVED)}); use e.g. /bundle"
            )
        path = Path(source)
        if not path.is_absolute() or not path.exists():
            raise SpecError(
                f"mount source {str(path)!r} for {target} must be an existing absolute path"
            )
        checked[target] = path
    return checked


def _checked_env(env: Mapping[str, str]) -> dict[str, str]:
    for key, value in env.items():
        if not _ENV_NAME.match(key) or not isinstance(value, str) or "\0" in value:
            raise SpecError(
                f"environment variable {key!r}={value!r} is not allowed: names are"
                " letters, digits and '_', values are strings without NUL"
            )
    return dict(env)

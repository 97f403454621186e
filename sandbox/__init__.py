"""Isolated places to run an agent's commands: one `Sandbox` protocol, local and Docker backends.

    box = await sandbox.create("local", SandboxSpec(run_id=..., agent_id=..., workspace=...))
    result = await box.exec("python -c 'import w2s'", timeout=60)

Inside every sandbox: /bundle (read-only), /workspace (read-write, the working directory),
`python` importing `w2s`, an unprivileged user, no network unless the spec asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

from sandbox.base import Sandbox
from sandbox.errors import (
    BackendUnavailable,
    FileTooLarge,
    PathRefused,
    SandboxError,
    SandboxGone,
    SpecError,
)
from sandbox.results import DirEntry, ExecResult, SandboxStats
from sandbox.spec import SandboxSpec

Backend = Literal["local", "docker"]
BACKENDS = ("local", "docker")

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "DirEntry",
    "ExecResult",
    "FileTooLarge",
    "PathRefused",
    "Sandbox",
    "SandboxError",
    "SandboxGone",
    "SandboxSpec",
    "SandboxStats",
    "SpecError",
    "create",
    "reattach",
    "remove_orphans",
]


def _check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise SpecError(
            f"sandbox backend {backend!r} is unknown: allowed are {', '.join(BACKENDS)}"
        )


async def create(backend: Backend, spec: SandboxSpec, **backend_options: Any) -> Sandbox:
    """Make and start a sandbox.

    Options: local `state_dir`, `use_cgroups`, `outlive_engine`; docker `docker_host` (when
    the spec names none), `client`, `files` ("host" or "container": how files are reached;
    a remote host takes "container" only, the default there), `host_runtime` (a remote
    host runs this machine's runtime image, having the same files at the same paths).
    """
    _check_backend(backend)
    making = asyncio.ensure_future(_make(backend, spec, **backend_options))
    try:
        return await asyncio.shield(making)
    except asyncio.CancelledError:
        # The making goes on in its thread whatever the caller does: wait for it and take
        # the sandbox down, so that a create cut short (a stop, a SIGINT) leaves none behind.
        with contextlib.suppress(Exception):
            await (await making).remove()
        raise


async def _make(backend: Backend, spec: SandboxSpec, **backend_options: Any) -> Sandbox:
    if backend == "local":
        from sandbox.local import LocalSandbox

        return await asyncio.to_thread(LocalSandbox.make, spec, **backend_options)
    from sandbox.container import create_container

    return await create_container(spec, **backend_options)


async def reattach(backend: Backend, run_id: str, **backend_options: Any) -> list[Sandbox]:
    """The sandboxes of a run that still exist, e.g. after the engine restarted."""
    _check_backend(backend)
    if backend == "local":
        from sandbox import local

        return list(await local.reattach(run_id, **backend_options))
    from sandbox import container

    return list(await container.reattach(run_id, **backend_options))


async def remove_orphans(
    backend: Backend, run_id: str, keep: set[str], **backend_options: Any
) -> int:
    """Remove the run's sandboxes whose id or agent id is not in `keep`; return how many."""
    _check_backend(backend)
    if backend == "local":
        from sandbox import local

        return await local.remove_orphans(run_id, keep, **backend_options)
    from sandbox import container

    return await container.remove_orphans(run_id, keep, **backend_options)

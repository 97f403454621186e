"""Fixtures for the sandbox tests: a real Docker engine, a workspace and bundle, a factory
that makes sandboxes of either backend and removes them afterwards."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

import sandbox
from sandbox.bwrap import bwrap_path
from sandbox.image import ensure_host_runtime_image
from tests.conftest import require
from tests.services.docker import DockerEngine, docker_engine  # noqa: F401  (a fixture)

BUNDLE_TEXT = "the task bundle\n"


@pytest.fixture(scope="session")
def docker_image(docker_engine: DockerEngine) -> str:  # noqa: F811
    """The host-runtime image, imported once per session."""
    return ensure_host_runtime_image(docker_engine.client)


@pytest.fixture(params=["local", "docker"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "local":
        require(bwrap_path() is not None, "bubblewrap (bwrap)")
    else:
        request.getfixturevalue("docker_image")
    return request.param


@pytest.fixture
def swap_reads() -> int:
    """How many reads race a symlink swapper; fewer where each read is an exec."""
    return 400


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "bundle"
    path.mkdir()
    (path / "README.txt").write_text(BUNDLE_TEXT)
    return path


@pytest.fixture
def backend_options(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    if backend == "local":
        return {"state_dir": tmp_path / "state"}
    return {"docker_host": request.getfixturevalue("docker_engine").host}


@pytest.fixture
async def make_box(
    backend: str,
    bundle: Path,
    tmp_path: Path,
    backend_options: dict,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable]:
    """make_box(agent_id="a1", **spec fields) -> a started sandbox, removed after the test."""
    made: list[sandbox.Sandbox] = []
    run_id = f"t{os.getpid()}-{abs(hash(request.node.nodeid)) % 10**8}"

    async def make(agent_id: str = "a1", **fields: Any) -> sandbox.Sandbox:
        workspace = tmp_path / "workspaces" / agent_id
        workspace.mkdir(parents=True, exist_ok=True)
        fields.setdefault("mounts", {"/bundle": bundle})
        spec = sandbox.SandboxSpec(run_id=run_id, agent_id=agent_id, workspace=workspace, **fields)
        box = await sandbox.create(backend, spec, **backend_options)
        made.append(box)
        return box

    make.run_id = run_id  # type: ignore[attr-defined]
    yield make
    for box in made:
        await box.remove()
    await sandbox.remove_orphans(backend, run_id, set(), **backend_options)

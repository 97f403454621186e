"""A sandbox spec refuses what cannot be used, naming the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import SandboxSpec, SpecError


def _spec(tmp_path: Path, **fields) -> SandboxSpec:
    values = {"run_id": "run-1", "agent_id": "agent.1", "workspace": tmp_path} | fields
    return SandboxSpec(**values)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"run_id": "../x"}, "run_id"),
        ({"agent_id": ""}, "agent_id"),
        ({"workspace": Path("relative")}, "workspace"),
        ({"mounts": {"/workspace/b": Path("/tmp")}}, "mount target"),
        ({"mounts": {"/usr/lib": Path("/tmp")}}, "system path"),
        ({"mounts": {"bundle": Path("/tmp")}}, "absolute"),
        ({"mounts": {"/bundle": Path("/no/such/dir")}}, "mount source"),
        ({"env": {"BAD-NAME": "1"}}, "environment variable"),
        ({"memory_mb": 0}, "memory_mb"),
        ({"memory_mb": 4}, "16 or more"),
        ({"cpus": -1.0}, "cpus"),
        ({"output_limit": 10}, "output_limit"),
    ],
)
def test_bad_specs_are_refused_with_a_clear_message(tmp_path: Path, fields, message) -> None:
    with pytest.raises(SpecError, match=message):
        _spec(tmp_path, **fields)


def test_a_spec_survives_the_round_trip_through_its_dict(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        mounts={"/bundle": tmp_path},
        env={"A": "1"},
        cpus=2.0,
        memory_mb=1024,
        pids=100,
        gpus=("0",),
        image="img",
        output_limit=4096,
    )
    assert SandboxSpec.from_dict(spec.to_dict()) == spec


def test_a_remote_docker_host_keeps_the_workspace_so_the_path_need_not_exist(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "not-made"
    spec = _spec(tmp_path, workspace=missing, docker_host="ssh://gpu1.example")
    assert spec.workspace == missing
    with pytest.raises(SpecError, match="existing absolute directory"):
        _spec(tmp_path, workspace=missing, docker_host="unix:///run/docker.sock")
    with pytest.raises(SpecError, match="existing absolute directory"):
        _spec(tmp_path, workspace=missing)

"""What the Docker backend asks the engine for: GPUs, limits, hardening, remote hosts, image."""

from __future__ import annotations

import re
from pathlib import Path

import docker
import pytest

from sandbox import SandboxSpec, SpecError
from sandbox.container import container_config
from sandbox.dockerhost import client_options

DOCKERFILE = Path(__file__).parents[2] / "sandbox" / "Dockerfile"


def _spec(tmp_path: Path, **fields) -> SandboxSpec:
    return SandboxSpec(run_id="r", agent_id="a", workspace=tmp_path, **fields)


def test_gpus_become_a_device_request_for_exactly_those_devices(tmp_path: Path) -> None:
    config = container_config(_spec(tmp_path, gpus=("0", "3")), "img", False)
    (request,) = config["device_requests"]
    assert request["DeviceIDs"] == ["0", "3"] and request["Capabilities"] == [["gpu"]]
    assert config["environment"]["NVIDIA_VISIBLE_DEVICES"] == "0,3"


def test_the_engine_receives_the_limits_and_hardening(
    tmp_path: Path, docker_engine, docker_image: str
) -> None:
    spec = _spec(
        tmp_path, gpus=("1",), memory_mb=512, cpus=1.5, pids=64, mounts={"/bundle": tmp_path}
    )
    config = container_config(spec, docker_image, True)
    config["name"] = f"aar-config-test-{tmp_path.name}"
    container = docker_engine.client.containers.create(**config)  # created, never started
    try:
        host = container.attrs["HostConfig"]
        assert host["DeviceRequests"][0]["DeviceIDs"] == ["1"]
        assert host["Memory"] == 512 << 20 and host["NanoCpus"] == 1_500_000_000
        assert host["PidsLimit"] == 64 and host["NetworkMode"] == "none"
        assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
        assert host["ReadonlyRootfs"] is True
        mounts = {m["Target"]: m for m in host["Mounts"]}
        assert mounts["/bundle"]["ReadOnly"] and not mounts["/workspace"].get("ReadOnly")
        assert container.labels["aar.run"] == "r" and container.labels["aar.agent"] == "a"
    finally:
        container.remove(force=True)


def test_network_is_off_unless_the_spec_asks(tmp_path: Path) -> None:
    assert container_config(_spec(tmp_path), "img", False)["network_mode"] == "none"
    assert "network_mode" not in container_config(_spec(tmp_path, network=True), "img", False)


def test_ssh_hosts_go_through_the_system_ssh_client() -> None:
    options = client_options("ssh://agent@gpu-box-1:2222")
    assert options["base_url"] == "ssh://agent@gpu-box-1:2222" and options["use_ssh_client"]
    # An explicit API version keeps the client from connecting while it is configured.
    client = docker.APIClient(**options, version="1.41")
    adapter = client.get_adapter(client.base_url)
    assert type(adapter).__name__ == "SSHHTTPAdapter"
    assert adapter.ssh_host == "agent@gpu-box-1:2222" or "gpu-box-1" in str(adapter.ssh_host)
    assert not client_options("tcp://10.0.0.5:2375")["use_ssh_client"]


def test_bad_docker_host_urls_are_refused_with_what_is_allowed(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="ssh://"):
        _spec(tmp_path, docker_host="http://gpu-box")


def test_the_dockerfile_starts_from_cuda_torch_unless_given_another_base() -> None:
    # Building it on another base and running it: tests/sandbox/test_gpu_image.py.
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG BASE=\S*pytorch\S*cuda\S*$", text, re.M)
    assert re.search(r"^FROM \$\{BASE\}$", text, re.M)
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and not user[-1].startswith(("0", "root"))

"""GPUs: which device nodes a local sandbox gets, and how nvidia-smi's figures are read."""

from __future__ import annotations

from sandbox.gpu import device_nodes, parse_smi

NODES = [
    "/dev/nvidia0",
    "/dev/nvidia1",
    "/dev/nvidia10",
    "/dev/nvidiactl",
    "/dev/nvidia-uvm",
    "/dev/nvidia-uvm-tools",
    "/dev/nvidia-modeset",
    "/dev/nvidia-caps/nvidia-cap1",
]


def test_a_sandbox_gets_its_own_gpus_and_the_control_nodes_only() -> None:
    chosen = device_nodes(("1",), NODES)
    assert "/dev/nvidia1" in chosen and "/dev/nvidiactl" in chosen
    assert "/dev/nvidia-uvm" in chosen and "/dev/nvidia-caps/nvidia-cap1" in chosen
    assert "/dev/nvidia0" not in chosen and "/dev/nvidia10" not in chosen


def test_no_gpus_means_no_device_nodes() -> None:
    assert device_nodes((), NODES) == []


def test_nvidia_smi_rows_become_usage_per_gpu() -> None:
    usage = parse_smi("0, 87, 40123, 81559\n1, [N/A], 1, 2\n")
    assert usage == {
        "0": {"utilization_percent": 87.0, "memory_used_mb": 40123.0, "memory_total_mb": 81559.0}
    }

"""`aar sandbox check` on this machine: both backends pass, network off, limits applied."""

from __future__ import annotations

import json

from click.testing import CliRunner

from aar_tui.cli import cli
from sandbox.bwrap import bwrap_path
from sandbox.limits import default_limits
from tests.conftest import require

HOGS = ("a memory hog is stopped", "a fork bomb is stopped", "a CPU hog is held")


def _hogs_stopped(report: dict) -> None:
    results = {c["name"].split(" at ")[0].split(" to ")[0]: c for c in report["checks"]}
    for hog in HOGS:
        assert results[hog]["ok"], results[hog]


def _check(*args: str, env: dict | None = None) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["sandbox", "check", *args, "--json"], env=env)
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1])


def test_check_local_reports_isolation_network_off_and_limits() -> None:
    require(bwrap_path() is not None, "bubblewrap (bwrap)")
    code, report = _check("local")
    assert code == 0 and report["ok"], report["checks"]
    assert report["isolated"] and report["network"] == "off"
    assert {"memory", "cpus", "pids"} <= set(report["limits"])
    assert report["create_s"] > 0 and report["exec_ms"] > 0
    _hogs_stopped(report)


def test_check_reports_the_limits_a_run_really_gets() -> None:
    require(bwrap_path() is not None, "bubblewrap (bwrap)")
    code, report = _check("local", "--agents", "4")
    share = default_limits(4)
    assert code == 0, report["checks"]
    assert report["limits"]["memory"].startswith(f"{share.memory_mb} MiB")
    assert report["limits"]["cpus"].startswith(f"{share.cpus:g} ")
    assert report["limits"]["pids"].startswith(f"{share.pids} ")


def test_check_docker_reports_network_off_and_limits(docker_engine, docker_image) -> None:
    code, report = _check("docker", "--docker-host", docker_engine.host)
    assert code == 0 and report["ok"], report["checks"]
    assert report["network"] == "off" and "nano_cpus" in report["limits"]["cpus"]
    _hogs_stopped(report)


def test_check_says_clearly_when_no_docker_engine_answers(tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["sandbox", "check", "docker", "--docker-host", f"unix://{tmp_path}/none.sock"]
    )
    assert result.exit_code != 0
    assert "no Docker engine answers" in result.output and "Traceback" not in result.output


def test_check_with_gpus_says_clearly_when_none_can_be_seen(docker_engine, docker_image) -> None:
    # This machine has no GPU: the check names what is missing instead of failing obscurely.
    code, report = _check("docker", "--docker-host", docker_engine.host, "--gpus", "0")
    gpu = next(c for c in report["checks"] if c["name"] == "the GPUs asked for are seen inside")
    assert code == 1 and not gpu["ok"] and "NVIDIA Container Toolkit" in gpu["detail"]
    assert report["gpu"].startswith("none")


def test_a_gpu_seen_inside_is_reported_with_bf16_and_free_memory() -> None:
    from sandbox.check import describe_gpus

    seen = [{"name": "NVIDIA H200", "free_mb": 140000, "total_mb": 143771, "bf16": True}]
    assert describe_gpus(seen) == "0: NVIDIA H200, bf16 yes, 136.7 of 140.4 GiB free"
    assert describe_gpus([]).startswith("none seen")

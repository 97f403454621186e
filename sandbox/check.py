"""The checks behind `aar sandbox check`: make a sandbox, try the contract, report.

What a user runs first on a new machine: it says how isolated a sandbox is, which limits
took (those a run of `agents` agents gets by default), whether hogs are stopped, whether a
GPU is seen, and how long creating a sandbox and running a command take.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sandbox import Backend, create, reattach
from sandbox.base import Sandbox
from sandbox.errors import PathRefused, SandboxError
from sandbox.hogs import HOG_LIMITS, hog_probes
from sandbox.limits import default_limits
from sandbox.spec import SandboxSpec

CANARY_VAR = "AAR_SANDBOX_CHECK_CANARY"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class CheckReport:
    backend: str
    isolated: bool = False
    limits: dict[str, str] = field(default_factory=dict)
    network: str = "unknown"
    gpu: str = "none seen"
    create_s: float | None = None
    exec_ms: float | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


async def run_check(
    backend: Backend,
    *,
    image: str | None = None,
    docker_host: str | None = None,
    gpus: tuple[str, ...] = (),
    memory_mb: int | None = None,
    cpus: float | None = None,
    pids: int | None = None,
    agents: int = 3,
) -> CheckReport:
    """Limits left out are those each of `agents` agents' sandboxes gets by default."""
    share = default_limits(agents)
    memory_mb = memory_mb if memory_mb is not None else share.memory_mb
    cpus = cpus if cpus is not None else share.cpus
    pids = pids if pids is not None else share.pids
    report = CheckReport(backend)
    tmp = Path(tempfile.mkdtemp(prefix="aar-sandbox-check-"))
    os.chmod(tmp, 0o755)
    (tmp / "workspace").mkdir()
    (tmp / "bundle").mkdir()
    (tmp / "bundle" / "README.txt").write_text("bundle\n")
    run_id = f"check-{os.getpid()}-{secrets.token_hex(3)}"
    spec = SandboxSpec(
        run_id=run_id,
        agent_id="probe",
        workspace=tmp / "workspace",
        mounts={"/bundle": tmp / "bundle"},
        cpus=cpus,
        memory_mb=memory_mb,
        pids=pids,
        gpus=gpus,
        image=image,
        docker_host=docker_host,
    )
    options = {"docker_host": docker_host} if backend == "docker" else {}
    made: list[Sandbox] = []
    try:
        started = time.monotonic()
        try:
            made.append(await create(backend, spec))
        except SandboxError as exc:
            if not gpus:
                raise
            # Docker refuses a GPU request where it has no NVIDIA runtime: say so plainly.
            report.gpu = "none: Docker here cannot hand out GPUs"
            report.checks.append(
                Check(
                    "the GPUs asked for are seen inside",
                    False,
                    f"no GPU can be given to a sandbox here ({str(exc)[:200]}); install the NVIDIA"
                    " driver and the NVIDIA Container Toolkit on the Docker host",
                )
            )
            return report
        report.create_s = time.monotonic() - started
        box = made[0]
        report.isolated = box.isolated
        report.limits = dict(getattr(box, "limits", {}))
        await _run_checks(box, report)
        (tmp / "hog").mkdir()
        hog_spec = replace(
            spec,
            agent_id="hog",
            workspace=tmp / "hog",
            memory_mb=HOG_LIMITS.memory_mb,
            cpus=HOG_LIMITS.cpus,
            pids=HOG_LIMITS.pids,
            gpus=(),
        )
        made.append(await create(backend, hog_spec))
        for name, probe in hog_probes(made[1]):
            await _check(report, name, probe)
    finally:
        if made:
            for box in made:
                await box.remove()
            left = await reattach(backend, run_id, **options)
            report.checks.append(
                Check("remove leaves nothing", not left, f"{len(left)} sandbox(es) left")
            )
        shutil.rmtree(tmp, ignore_errors=True)
    return report


async def _check(
    report: CheckReport, name: str, probe: Callable[[], Awaitable[tuple[bool, str]]]
) -> None:
    try:
        ok, detail = await probe()
    except Exception as exc:  # a probe that raises has failed; the report says why
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    report.checks.append(Check(name, ok, detail))


async def _run_checks(box: Sandbox, report: CheckReport) -> None:
    async def exec_ok() -> tuple[bool, str]:
        times = []
        for _ in range(5):
            result = await box.exec(["true"], timeout=30)
            times.append(result.duration)
        report.exec_ms = 1000 * statistics.median(times)
        result = await box.exec("pwd; id -u", timeout=30)
        where, uid = [*result.stdout.split(), "?", "?"][:2]
        return where == "/workspace" and uid != "0", f"cwd {where}, uid {uid}"

    async def python_ok() -> tuple[bool, str]:
        result = await box.exec(["python", "-c", _GPU_PROBE], timeout=180)
        if result.exit_code == 0:
            report.gpu = describe_gpus(json.loads(result.stdout.strip().splitlines()[-1]))
        last_error = (result.stderr.strip().splitlines() or ["imports w2s and torch"])[-1]
        return result.exit_code == 0, last_error

    async def gpus_seen() -> tuple[bool, str]:
        seen = not report.gpu.startswith("none")
        if seen:
            return True, report.gpu
        return False, (
            f"asked for GPU {','.join(box.spec.gpus)} but none is seen inside: install the NVIDIA"
            " Container Toolkit on the Docker host and use an image with CUDA torch"
            " (sandbox/Dockerfile)"
        )

    async def network_off() -> tuple[bool, str]:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            result = await box.exec(
                [
                    "python",
                    "-c",
                    f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)",
                ],
                timeout=30,
            )
        finally:
            server.close()
        off = result.exit_code != 0
        report.network = "off" if off else "on"
        return off, "host loopback unreachable" if off else "host loopback REACHABLE"

    async def env_clean() -> tuple[bool, str]:
        os.environ[CANARY_VAR] = "visible"
        try:
            result = await box.exec("env", timeout=30)
        finally:
            del os.environ[CANARY_VAR]
        leaked = CANARY_VAR in result.stdout
        return not leaked, "engine environment leaked" if leaked else "nothing inherited"

    async def bundle_read_only() -> tuple[bool, str]:
        result = await box.exec("touch /bundle/x", timeout=30)
        return result.exit_code != 0, "writes refused" if result.exit_code else "WRITABLE"

    async def confined() -> tuple[bool, str]:
        await box.exec("ln -sf /etc/passwd out", timeout=30)
        try:
            await box.read_file("out")
        except PathRefused:
            return True, "a symlink out is refused"
        return False, "a symlink out was followed"

    async def timeout_kills() -> tuple[bool, str]:
        result = await box.exec("setsid sleep 60 & sleep 60", timeout=0.5)
        return result.timed_out and result.duration < 10, f"{result.duration:.2f}s"

    async def pause_resume() -> tuple[bool, str]:
        await box.pause()
        paused = await box.status()
        await box.resume()
        running = await box.status()
        return paused == "paused" and running.startswith("running"), f"{paused} -> {running}"

    async def stats_numbers() -> tuple[bool, str]:
        stats = await box.stats()
        return stats.memory_bytes is not None, (
            f"cpu {stats.cpu_percent}, memory {stats.memory_bytes}, pids {stats.pids}"
        )

    probes = [
        ("exec as an unprivileged user in /workspace", exec_ok),
        ("python imports w2s and torch under the memory limit", python_ok),
        ("network off", network_off),
        ("no inherited environment", env_clean),
        ("bundle read-only", bundle_read_only),
        ("file access confined", confined),
        ("timeout kills the tree", timeout_kills),
        ("pause and resume", pause_resume),
        ("stats", stats_numbers),
    ]
    if box.spec.gpus:
        probes.insert(2, ("the GPUs asked for are seen inside", gpus_seen))
    for name, probe in probes:
        await _check(report, name, probe)


# Prints, as one JSON line, what torch sees of the GPUs inside the sandbox.
_GPU_PROBE = """
import json, w2s, torch
gpus = []
for i in range(torch.cuda.device_count()):
    free, total = torch.cuda.mem_get_info(i)
    gpus.append({"name": torch.cuda.get_device_name(i), "free_mb": free >> 20,
                 "total_mb": total >> 20, "bf16": torch.cuda.is_bf16_supported()})
print(json.dumps(gpus))
"""


def describe_gpus(gpus: list[dict[str, Any]]) -> str:
    """One line of what the sandbox sees: each GPU's name, bf16 support and free memory."""
    if not gpus:
        return "none seen (torch.cuda finds no device)"
    return "; ".join(
        f"{i}: {g['name']}, bf16 {'yes' if g['bf16'] else 'no'},"
        f" {g['free_mb'] / 1024:.1f} of {g['total_mb'] / 1024:.1f} GiB free"
        for i, g in enumerate(gpus)
    )

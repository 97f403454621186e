"""Sandbox speed per backend, each figure beside the bare tool measured in the same run.

    .venv/bin/python bench/sandbox.py [local|docker ...]

Prints: time to create; a trivial exec (median of 50) against a bare `bwrap ... true` with
the same namespaces and mounts, or a bare SDK `exec_run`, the two alternated; as root also a
bare nsenter into the sandbox, the least a command of a held local sandbox can cost; exec
throughput with 8 sandboxes at once; pause + resume latency with a busy process inside,
against a bare SDK pause + unpause; file access (read, write, list; median of 30) through
host paths and, on Docker, through the container as on a remote engine, beside a bare SDK
`exec_run` of `cat`. Target: our exec within 1.5x of the bare tool. A Docker engine is
started for the run when none answers.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sandbox
from sandbox.bwrap import bwrap_argv, bwrap_path

EXECS = 50
PARALLEL = 8
EXECS_EACH = 20
FILE_CALLS = 30


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


async def timed(fn: Callable[[], Awaitable[object]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return samples


def timed_blocking(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def row(name: str, ours: float, bare: float | None = None, bare_name: str = "") -> None:
    if bare is None:
        print(f"  {name:<34}{ours:9.1f} ms")
    else:
        print(
            f"  {name:<34}{ours:9.1f} ms   {bare_name:<26}{bare:7.1f} ms"
            f"   ratio {ours / bare:4.2f}x"
        )


async def bench_backend(backend: str, root: Path, options: dict) -> None:
    print(f"== {backend}")
    bundle = root / "bundle"
    bundle.mkdir(exist_ok=True)

    def spec(agent: str) -> sandbox.SandboxSpec:
        workspace = root / backend / agent
        workspace.mkdir(parents=True, exist_ok=True)
        return sandbox.SandboxSpec(
            run_id="bench",
            agent_id=agent,
            workspace=workspace,
            mounts={"/bundle": bundle},
            memory_mb=1024,
            pids=256,
            docker_host=options.get("docker_host"),
        )

    await sandbox.remove_orphans(backend, "bench", set(), **options)
    creates = []
    for i in range(5):
        started = time.perf_counter()
        box = await sandbox.create(backend, spec(f"c{i}"), **options)
        creates.append(time.perf_counter() - started)
        await box.remove()
    box = await sandbox.create(backend, spec("main"), **options)
    try:
        await box.exec(["true"])
        bare_name, bare_fn = bare_exec(backend, box)
        ours, bare = await paired(lambda: box.exec(["true"]), bare_fn, EXECS)
        if backend == "docker":
            run_name, run_s = bare_docker_run(box)
            row("create (median of 5)", median_ms(creates), run_s, run_name)
        else:
            row("create (median of 5)", median_ms(creates))
        row(f"trivial exec (median of {EXECS})", median_ms(ours), median_ms(bare), bare_name)
        # The best case shows the work each adds; a loaded machine inflates the median.
        row("trivial exec (best of the same)", 1000 * min(ours), 1000 * min(bare), bare_name)
        # The freezer has work to do: a busy process runs while the sandbox is paused.
        busy = asyncio.create_task(box.exec(["sh", "-c", "while :; do :; done"], timeout=4))
        await asyncio.sleep(0.3)
        pauses = await timed(lambda: pause_resume(box), 10)
        if backend == "docker":
            raw = timed_blocking(lambda: (box._container.pause(), box._container.unpause()), 10)
            row(
                "pause + resume (median of 10)",
                median_ms(pauses),
                median_ms(raw),
                "bare SDK pause+unpause",
            )
        else:
            row("pause + resume (median of 10)", median_ms(pauses))
        await busy
        await bench_files(box, "host paths")
    finally:
        await box.remove()
    if backend == "docker":
        remote_style = await sandbox.create(backend, spec("files"), **options, files="container")
        try:
            await bench_files(remote_style, "through the container")
        finally:
            await remote_style.remove()
    boxes = [await sandbox.create(backend, spec(f"p{i}"), **options) for i in range(PARALLEL)]
    try:
        started = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for b in boxes:
                group.create_task(run_many(b, EXECS_EACH))
        elapsed = time.perf_counter() - started
        total = PARALLEL * EXECS_EACH
        print(
            f"  {'throughput, 8 sandboxes at once':<34}{total / elapsed:9.1f} execs/s"
            f"   ({total} execs in {elapsed:.2f}s)"
        )
    finally:
        for b in boxes:
            await b.remove()


async def bench_files(box: sandbox.Sandbox, how: str) -> None:
    data = b"x" * 4096
    await box.write_file("bench.txt", data)
    reads = await timed(lambda: box.read_file("bench.txt"), FILE_CALLS)
    writes = await timed(lambda: box.write_file("bench.txt", data), FILE_CALLS)
    lists = await timed(lambda: box.list_dir("/workspace"), FILE_CALLS)
    if box.backend == "docker":
        container = box._container
        bare = timed_blocking(
            lambda: container.exec_run(["cat", "/workspace/bench.txt"]), FILE_CALLS
        )
        row(f"read 4 KiB, {how}", median_ms(reads), median_ms(bare), "bare exec_run cat")
    else:
        row(f"read 4 KiB, {how}", median_ms(reads))
    row(f"write 4 KiB, {how}", median_ms(writes))
    row(f"list /workspace, {how}", median_ms(lists))
    if getattr(box, "files_mode", "host") == "container":
        await box.pause()
        try:
            paused = await timed(lambda: box.read_file("bench.txt"), 5)
        finally:
            await box.resume()
        row("read 4 KiB, paused (twin, of 5)", median_ms(paused))


async def run_many(box: sandbox.Sandbox, n: int) -> None:
    for _ in range(n):
        await box.exec(["true"])


async def pause_resume(box: sandbox.Sandbox) -> None:
    await box.pause()
    await box.resume()


async def paired(
    ours: Callable[[], Awaitable[object]], bare: Callable[[], object], n: int
) -> tuple[list[float], list[float]]:
    """Alternate ours and the bare tool, so that a change of load hits both alike."""
    mine, theirs = [], []
    for _ in range(n):
        mine += await timed(ours, 1)
        theirs += timed_blocking(bare, 1)
    return mine, theirs


def bare_exec(backend: str, box: sandbox.Sandbox) -> tuple[str, Callable[[], object]]:
    if backend == "docker":
        container = box._container
        return "bare SDK exec_run", lambda: container.exec_run(["true"])
    # bwrap with the sandbox's namespaces and mounts, run directly: no cgroup join, no drop
    # to the sandbox's user, no asyncio.
    argv = bwrap_argv(
        bwrap_path() or "bwrap", box.spec, box._runtime, box._state / "etc", "/workspace", ["true"]
    )
    if "setpriv" in argv:
        argv = [*argv[: argv.index("setpriv")], "true"]
    plain = timed_blocking(lambda: subprocess.run(["true"], check=True), EXECS)
    row("(bare subprocess true)", median_ms(plain))
    holder = getattr(getattr(box, "_isolation", None), "holder", None)
    if holder is not None:
        enter = [
            "nsenter",
            "-t",
            str(holder.init),
            "-m",
            "-u",
            "-i",
            "-n",
            "-p",
            "-r",
            "-w",
            "--",
            "true",
        ]
        entered = timed_blocking(lambda: subprocess.run(enter, check=True), EXECS)
        row("(bare nsenter into the sandbox)", median_ms(entered))
    return "bare bwrap ... true", lambda: subprocess.run(argv, check=True)


def bare_docker_run(box: sandbox.Sandbox) -> tuple[str, float]:
    client = box._client
    image = box._container.attrs["Config"]["Image"]
    samples = timed_blocking(
        lambda: client.containers.run(
            image,
            ["true"],
            remove=True,
            network_mode="none",
            volumes={"/usr": {"bind": "/usr", "mode": "ro"}},
        ),
        5,
    )
    return "bare docker run", median_ms(samples)


async def main(backends: list[str]) -> None:
    root = Path(tempfile.mkdtemp(prefix="aar-bench-sandbox-"))
    engine = None
    try:
        for backend in backends:
            options: dict = {"state_dir": root / "state"} if backend == "local" else {}
            if backend == "local" and bwrap_path() is None:
                print("== local: skipped, bubblewrap is not installed")
                continue
            if backend == "docker":
                from tests.services.docker import find_or_start_engine

                engine = find_or_start_engine()
                if engine is None:
                    print("== docker: skipped, no Docker engine can be had")
                    continue
                options = {"docker_host": engine.host}
            await bench_backend(backend, root, options)
    finally:
        if engine is not None:
            engine.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["local", "docker"]))

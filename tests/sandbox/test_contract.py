"""The sandbox contract, run against every backend with the same tests."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest

import sandbox
from sandbox import PathRefused, SandboxGone
from tests.sandbox.conftest import BUNDLE_TEXT

pytestmark = pytest.mark.timeout(120)


async def test_exec_reports_exit_code_stdout_and_stderr(make_box) -> None:
    box = await make_box()
    result = await box.exec("echo out; echo err >&2; exit 3")
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.timed_out and not result.truncated
    assert (await box.exec(["python", "-c", "print(6 * 7)"])).stdout == "42\n"
    # The exit status is never lost to a race between the end of output and the exit.
    assert {(await box.exec(["sh", "-c", "exit 5"])).exit_code for _ in range(15)} == {5}


async def test_working_directory_is_the_workspace_and_paths_are_the_same_everywhere(
    make_box,
) -> None:
    box = await make_box()
    result = await box.exec("pwd; cat /bundle/README.txt; python -c 'import w2s, numpy'")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "/workspace\n" + BUNDLE_TEXT


async def test_stdin_reaches_the_command(make_box) -> None:
    box = await make_box()
    result = await box.exec(["cat"], stdin=b"through stdin")
    assert result.stdout == "through stdin"


async def test_output_over_the_cap_keeps_head_and_tail_and_says_so(make_box) -> None:
    box = await make_box(output_limit=4096)
    result = await box.exec("echo FIRST; head -c 200000 /dev/zero | tr '\\0' x; echo; echo LAST")
    assert result.truncated
    assert result.stdout.startswith("FIRST\n") and result.stdout.endswith("LAST\n")
    assert "bytes cut by the output cap" in result.stdout
    assert len(result.stdout) < 4096 + 100


async def test_output_lines_stream_to_the_callback_as_they_come(make_box) -> None:
    box = await make_box()
    seen: list[tuple[str, str, float]] = []
    result = await box.exec(
        "echo one; sleep 0.5; echo two >&2; echo three",
        on_output=lambda s, line: seen.append((s, line, time.monotonic())),
    )
    lines = {name: [line for s, line, _ in seen if s == name] for name in ("stdout", "stderr")}
    assert lines == {"stdout": ["one", "three"], "stderr": ["two"]}
    when = {line: at for _, line, at in seen}
    assert when["two"] - when["one"] > 0.3  # "one" came before the command ended
    assert result.stdout == "one\nthree\n"


async def test_timeout_kills_the_whole_tree_including_setsid_children(make_box) -> None:
    box = await make_box()
    started = time.monotonic()
    result = await box.exec(
        "(setsid sh -c 'sleep 2; echo alive > /workspace/late') & "
        "(sh -c 'sleep 2; echo alive > /workspace/late2' &) ; sleep 60",
        timeout=1,
    )
    assert result.timed_out and result.exit_code == 124
    assert time.monotonic() - started < 15
    await asyncio.sleep(2.5)
    names = [e.name for e in await box.list_dir("/workspace")]
    assert "late" not in names and "late2" not in names


async def test_file_access_is_confined_to_workspace_and_mounts(make_box) -> None:
    box = await make_box()
    await box.exec(
        "echo inside > real.txt; ln -s /etc/passwd out; ln -s real.txt in;"
        " ln -s ../../../../etc rel_out; mkdir sub; ln -s /workspace/real.txt sub/abs"
    )
    assert await box.read_file("/workspace/in") == b"inside\n"
    assert await box.read_file("sub/abs") == b"inside\n"
    assert await box.read_file("/bundle/README.txt") == BUNDLE_TEXT.encode()
    for path in (
        "../etc/passwd",
        "/etc/passwd",
        "out",
        "rel_out/passwd",
        "/workspace/../x",
        "/bundle/../workspace/real.txt",
    ):
        with pytest.raises(PathRefused):
            await box.read_file(path)
    with pytest.raises(PathRefused):
        await box.write_file("out", b"overwrite the host's passwd")
    with pytest.raises(PathRefused):
        await box.write_file("/bundle/new.txt", b"x")
    with pytest.raises(sandbox.FileTooLarge):
        await box.read_file("real.txt", max_bytes=3)
    kinds = {e.name: e.kind for e in await box.list_dir("/workspace")}
    assert kinds["real.txt"] == "file" and kinds["out"] == "symlink" and kinds["sub"] == "dir"


async def test_a_symlink_swapped_in_during_reads_never_leads_out(make_box, swap_reads) -> None:
    box = await make_box()
    # d and f always exist; each flips, by atomic renames, between something safe inside
    # and a symlink out of the workspace to the host's /etc.
    swapper = (
        "import os\n"
        "os.mkdir('real'); open('real/passwd', 'w').write('safe')\n"
        "def flip(name, make):\n"
        "    make(name + '.new'); os.replace(name + '.new', name)\n"
        "def safe_file(path):\n"
        "    open(path, 'w').write('safe')\n"
        "flip('d', lambda p: os.symlink('real', p)); flip('f', safe_file)\n"
        "open('ready', 'w').close()\n"
        "while not os.path.exists('stop'):\n"
        "    flip('d', lambda p: os.symlink('/etc', p))\n"
        "    flip('f', lambda p: os.symlink('/etc/passwd', p))\n"
        "    flip('d', lambda p: os.symlink('real', p))\n"
        "    flip('f', safe_file)\n"
    )
    await box.write_file("swap.py", swapper.encode())
    task = asyncio.create_task(box.exec(["python", "swap.py"], timeout=90))
    while "ready" not in {e.name for e in await box.list_dir(".")}:
        await asyncio.sleep(0.05)
    with open("/etc/passwd", "rb") as host_file:
        host_passwd = host_file.read()
    counts = {"read": 0, "refused": 0}
    deadline = time.monotonic() + 30
    while min(counts.values()) < 5 or sum(counts.values()) < swap_reads:
        assert time.monotonic() < deadline, counts
        for path in ("d/passwd", "f"):
            try:
                data = await box.read_file(path)
            except PathRefused:
                counts["refused"] += 1
                continue
            assert data != host_passwd
            assert data == b"safe"
            counts["read"] += 1
    await box.write_file("stop", b"")
    assert (await task).exit_code == 0


async def test_engine_written_files_belong_to_the_sandbox_user(make_box) -> None:
    box = await make_box()
    await box.write_file("/workspace/cfg/run.json", b"{}")
    result = await box.exec("id -u; echo more >> cfg/run.json && touch cfg/new && cat cfg/run.json")
    uid, *rest = result.stdout.splitlines()
    assert result.exit_code == 0, result.stderr
    assert uid != "0" and rest == ["{}more"]


async def test_no_network_even_to_the_hosts_loopback(make_box) -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        box = await make_box()
        result = await box.exec(
            [
                "python",
                "-c",
                "import socket; socket.create_connection("
                f"('127.0.0.1', {port}), timeout=3); print('connected')",
            ]
        )
        assert result.exit_code != 0 and "connected" not in result.stdout
    finally:
        server.close()


async def test_environment_holds_only_what_the_spec_and_exec_name(make_box, monkeypatch) -> None:
    monkeypatch.setenv("AAR_TEST_SECRET", "s3cret-token")
    box = await make_box(env={"FROM_SPEC": "1"})
    result = await box.exec("env", env={"FROM_EXEC": "2"})
    assert "s3cret-token" not in result.stdout and "AAR_TEST_SECRET" not in result.stdout
    assert "FROM_SPEC=1" in result.stdout and "FROM_EXEC=2" in result.stdout
    assert "ANTHROPIC_API_KEY" not in result.stdout


async def test_bundle_is_read_only(make_box) -> None:
    box = await make_box()
    result = await box.exec("echo x > /bundle/new; echo x >> /bundle/README.txt")
    assert result.exit_code != 0
    assert (await box.read_file("/bundle/README.txt")) == BUNDLE_TEXT.encode()
    assert "new" not in [e.name for e in await box.list_dir("/bundle")]


async def test_pause_freezes_every_process_and_resume_continues(make_box) -> None:
    box = await make_box()
    loop = (
        "i=0; while [ ! -e /workspace/stop ]; do i=$((i+1)); echo $i > /workspace/.{0};"
        " mv /workspace/.{0} /workspace/{0}; sleep 0.02; done"
    )
    task = asyncio.create_task(
        box.exec(f"setsid sh -c '{loop.format('c2')}' & {loop.format('c1')}; wait", timeout=60)
    )

    async def counters() -> tuple[bytes, bytes]:
        return (await box.read_file("c1"), await box.read_file("c2"))

    while {"c1", "c2"} - {e.name for e in await box.list_dir(".")}:
        await asyncio.sleep(0.05)
    await box.pause()
    assert await box.status() == "paused"
    frozen = await counters()
    await asyncio.sleep(0.6)
    assert await counters() == frozen
    await box.resume()
    assert await box.status() == "running"
    await asyncio.sleep(0.6)
    after = await counters()
    assert all(int(a) > int(b) for a, b in zip(after, frozen, strict=True))
    await box.write_file("stop", b"")
    assert (await task).exit_code == 0


async def test_torch_imports_under_the_memory_limit_which_still_binds(make_box) -> None:
    box = await make_box(memory_mb=768)
    result = await box.exec(
        ["python", "-c", "import torch; print(torch.ones(3).sum().item())"], timeout=90
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "3.0"
    hog = await box.exec(["python", "-c", "b = b'x' * (1200 << 20); print('survived')"], timeout=60)
    assert hog.exit_code != 0 and "survived" not in hog.stdout


async def test_stats_return_numbers(make_box) -> None:
    box = await make_box()
    task = asyncio.create_task(box.exec("sleep 1.5", timeout=30))
    await asyncio.sleep(0.5)
    stats = await box.stats()
    await task
    assert isinstance(stats.cpu_percent, float) and stats.cpu_percent >= 0
    assert isinstance(stats.memory_bytes, int) and stats.memory_bytes > 0
    assert isinstance(stats.pids, int) and stats.pids >= 1


_HOG = (
    "import pathlib, time\n"
    "held = b'x' * (200 << 20)\n"  # written, so every page is resident
    "pathlib.Path('/workspace/{name}').write_text('ready')\n"
    "end = time.monotonic() + 1.5\n"
    "while time.monotonic() < end:\n"
    "    pass\n"  # busy, so that the sandbox's CPU figure moves
    "time.sleep(30)\n"
)


async def _wait_for_file(box, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while name not in {e.name for e in await box.list_dir(".")}:
        assert time.monotonic() < deadline, f"{name} never appeared"
        await asyncio.sleep(0.05)


async def test_stats_count_every_process_of_the_sandbox_background_jobs_too(make_box) -> None:
    box = await make_box()
    idle = await box.stats()
    assert idle.memory_bytes is not None and idle.memory_bytes < 100 << 20
    # One job left running in the background, one inside a command still running.
    await box.write_file("hog.py", _HOG.format(name="bg").encode())
    await box.exec("nohup python hog.py > /dev/null 2>&1 &", timeout=20)
    await _wait_for_file(box, "bg")
    alone = await box.stats()
    await box.write_file("fg.py", _HOG.format(name="fg").encode())
    running = asyncio.create_task(box.exec("python fg.py", timeout=60))
    try:
        await _wait_for_file(box, "fg")
        both = await box.stats()
    finally:
        running.cancel()
    assert alone.memory_bytes is not None and alone.memory_bytes >= idle.memory_bytes + (200 << 20)
    assert both.memory_bytes is not None and both.memory_bytes >= idle.memory_bytes + (400 << 20)
    assert alone.pids is not None and idle.pids is not None and alone.pids > idle.pids
    assert both.pids is not None and both.pids > alone.pids
    assert both.cpu_percent is not None and both.cpu_percent > 10


async def test_reattach_finds_the_sandbox_after_the_object_is_dropped(
    make_box, backend, backend_options
) -> None:
    box = await make_box("a1")
    other = await make_box("a2")
    await box.exec("echo kept > note")
    sandbox_id = box.id
    del box
    found = await sandbox.reattach(backend, make_box.run_id, **backend_options)
    assert sorted(b.id for b in found) == sorted([sandbox_id, other.id])
    again = next(b for b in found if b.id == sandbox_id)
    assert (await again.exec("cat note")).stdout == "kept\n"
    assert await again.status() == "running"


async def test_remove_orphans_keeps_only_the_named_sandboxes(
    make_box, backend, backend_options
) -> None:
    await make_box("a1")
    await make_box("a2")
    removed = await sandbox.remove_orphans(backend, make_box.run_id, {"a1"}, **backend_options)
    assert removed == 1
    found = await sandbox.reattach(backend, make_box.run_id, **backend_options)
    assert [b.spec.agent_id for b in found] == ["a1"]


async def test_remove_leaves_nothing_behind(make_box, backend, backend_options) -> None:
    box = await make_box(memory_mb=256)
    await box.exec("sleep 30 &", timeout=5)
    await box.stop()
    assert await box.status() == "stopped"
    with pytest.raises(sandbox.SandboxError):
        await box.exec("true")
    await box.remove()
    assert await box.status() == "removed"
    assert await sandbox.reattach(backend, make_box.run_id, **backend_options) == []
    with pytest.raises(SandboxGone):
        await box.read_file("anything")
    if backend == "local":
        assert not os.path.exists(f"/sys/fs/cgroup/freezer/aar-sandbox/{make_box.run_id}")


@pytest.fixture(scope="session")
def toy_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from w2s.prepare import prepare

    out = tmp_path_factory.mktemp("toy")
    return prepare("toy", out, cache_dir=out / "cache").bundle_dir


async def test_the_w2s_runner_runs_inside_on_a_real_bundle(make_box, toy_bundle: Path) -> None:
    box = await make_box(mounts={"/bundle": toy_bundle}, memory_mb=2048)
    await box.write_file("cfg.json", json.dumps({"method": "vanilla", "epochs": 1}).encode())
    result = await box.exec(
        "python -m w2s run --bundle /bundle --config cfg.json --out preds.json", timeout=120
    )
    assert result.exit_code == 0, result.stderr
    predictions = json.loads(await box.read_file("preds.json"))["predictions"]
    assert len(predictions) > 0
    bad = await box.exec("python -m w2s run --bundle /bundle --config nothing.json --out x.json")
    assert bad.exit_code == 2 and bad.stderr.strip()


async def test_killing_every_process_it_can_does_not_take_the_sandbox_down(make_box) -> None:
    box = await make_box()
    await box.exec("sleep 30 & kill -9 -1; sleep 0.2", timeout=10)
    assert (await box.exec("echo still here")).stdout == "still here\n"
    assert await box.status() == "running"


async def test_background_jobs_outlive_their_command_and_the_dropped_object(
    make_box, backend, backend_options
) -> None:
    box = await make_box()
    started = time.monotonic()
    result = await box.exec(
        "nohup sh -c 'sleep 1.5; echo done > bg.txt' > /dev/null 2>&1 & echo launched", timeout=20
    )
    assert result.stdout == "launched\n" and time.monotonic() - started < 1.4
    del box
    (again,) = await sandbox.reattach(backend, make_box.run_id, **backend_options)
    await asyncio.sleep(2)
    assert await again.read_file("bg.txt") == b"done\n"


async def test_a_job_left_holding_the_output_does_not_hold_the_result(make_box) -> None:
    box = await make_box()
    started = time.monotonic()
    result = await box.exec("sleep 20 & echo started", timeout=15)
    assert result.stdout == "started\n" and not result.timed_out
    assert time.monotonic() - started < 5


async def test_nothing_of_the_engine_is_visible_inside(make_box, tmp_path: Path) -> None:
    secret = tmp_path / "hidden" / "labels.json"  # beside the bundle, as in a run directory
    secret.parent.mkdir()
    secret.write_text("[1, 0, 1]")
    repo = Path(__file__).resolve().parents[2]
    box = await make_box()
    probes = [
        secret,
        repo / "tests",
        repo / "engine",
        "/var/run/docker.sock",
        "/run/docker.sock",
        Path.home() / ".cache",
    ]
    result = await box.exec(
        " ; ".join(f"test -e {p} && echo VISIBLE {p}" for p in probes) + "; true"
    )
    assert "VISIBLE" not in result.stdout, result.stdout
    assert (await box.exec("python -c 'import engine'")).exit_code != 0

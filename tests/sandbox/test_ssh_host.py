"""End to end over ssh: a sandbox on a Docker engine reached as `ssh://user@127.0.0.1:PORT`.

The "remote" machine is this one, through a real sshd: the Docker SDK runs the system's
`ssh`, which runs `docker system dial-stdio` on the far side. A small `ssh` first on PATH
adds the test server's key and known_hosts, and gives the far side's command the address
of the test engine (a remote machine's login would find its engine at the default socket).
Everything the remote path needs is exercised: the workspace and the bundle are volumes
of that engine, and files go through the container.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import sandbox
from sandbox.dockerhost import close_client
from tests.services.docker import DockerEngine
from tests.services.sshd import SshServer, sshd  # noqa: F401  (a session fixture)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def ssh_host(
    sshd: SshServer,  # noqa: F811
    docker_engine: DockerEngine,
    docker_image: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    keys = sshd.config.parent
    config = tmp_path / "ssh_config"
    # One connection carries every Docker call, as a user's ControlMaster setting would: the
    # SDK starts an `ssh` per call, and each would otherwise pay a whole handshake.
    control = Path(tempfile.mkdtemp(prefix="aar-cm-"))
    config.write_text(
        f"Host 127.0.0.1\n  IdentityFile {keys / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {keys / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n  LogLevel ERROR\n"
        f"  ControlMaster auto\n  ControlPath {control}/%C\n  ControlPersist 120\n"
    )
    real_ssh = shutil.which("ssh") or "ssh"  # before the wrapper below comes first on PATH
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ssh"
    wrapper.write_text(
        "#!/bin/bash\n"
        '# The last argument is the command to run on the far side.\nargs=("$@")\n'
        'last=${args[-1]}\nunset "args[-1]"\n'
        f'exec {real_ssh} -F {config} "${{args[@]}}"'
        f' "DOCKER_HOST={docker_engine.host} $last"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    url = f"ssh://{sshd.user}@127.0.0.1:{sshd.port}"
    yield url
    close_client(url)  # before the session's sshd goes
    # The shared connections' masters end with the test, not 120 s after. The real ssh: the
    # wrapper would append a command to the request.
    for socket_path in control.iterdir():
        subprocess.run(
            [real_ssh, "-S", str(socket_path), "-O", "exit", "127.0.0.1"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    shutil.rmtree(control, ignore_errors=True)


async def test_a_sandbox_on_an_ssh_host_runs_reads_writes_pauses_and_goes(
    ssh_host: str, docker_engine: DockerEngine, bundle: Path, tmp_path: Path
) -> None:
    run_id = f"ssh{os.getpid()}"
    workspace = tmp_path / "not-made"  # the remote host keeps the workspace in a volume
    spec = sandbox.SandboxSpec(
        run_id=run_id,
        agent_id="a1",
        workspace=workspace,
        mounts={"/bundle": bundle},
        docker_host=ssh_host,
        memory_mb=512,
    )
    options = {"host_runtime": True}
    box = await sandbox.create("docker", spec, **options)
    try:
        assert box.files_mode == "container"
        volume = docker_engine.client.volumes.get(f"aar-{run_id}-a1-workspace")
        assert volume.attrs["Labels"] == {"aar.run": run_id, "aar.agent": "a1"}
        assert await box.read_file("/bundle/README.txt") == b"the task bundle\n"

        result = await box.exec("id -u; pwd; cat /bundle/README.txt; python -c 'import w2s'")
        assert result.exit_code == 0, result.stderr
        uid, cwd, text = result.stdout.splitlines()
        assert uid != "0" and cwd == "/workspace" and text == "the task bundle"
        assert (await box.exec(["cat"], stdin=b"over ssh")).stdout == "over ssh"
        lines: list[str] = []
        streamed = await box.exec(
            "echo one; echo two", on_output=lambda _, line: lines.append(line)
        )
        assert streamed.stdout == "one\ntwo\n" and lines == ["one", "two"]
        stuck = await box.exec("sleep 60", timeout=1)
        assert stuck.timed_out and stuck.exit_code == 124

        await box.write_file("cfg/run.json", b'{"epochs": 1}')
        made = await box.exec("cat cfg/run.json; echo out > made.txt; ln -s /etc/passwd out")
        assert made.stdout == '{"epochs": 1}'
        assert await box.read_file("made.txt") == b"out\n"
        kinds = {e.name: e.kind for e in await box.list_dir("/workspace")}
        assert kinds == {"cfg": "dir", "made.txt": "file", "out": "symlink"}
        with pytest.raises(sandbox.PathRefused):
            await box.read_file("out")
        bundle_write = await box.exec("echo x > /bundle/new")
        assert bundle_write.exit_code != 0
        assert not workspace.exists()  # nothing went through a local path

        await box.pause()
        assert await box.status() == "paused"
        assert await box.read_file("made.txt") == b"out\n"  # read beside the frozen one
        await box.resume()
        assert await box.status() == "running"
        assert (await box.exec("cat made.txt")).stdout == "out\n"

        (again,) = await sandbox.reattach("docker", run_id, docker_host=ssh_host)
        assert again.id == box.id and await again.read_file("made.txt") == b"out\n"
    finally:
        await box.remove()
    assert await box.status() == "removed"
    assert await sandbox.reattach("docker", run_id, docker_host=ssh_host) == []
    assert docker_engine.client.volumes.list(filters={"label": f"aar.run={run_id}"}) == []


async def test_read_only_mounts_are_copied_once_per_host_and_content(
    ssh_host: str, docker_engine: DockerEngine, bundle: Path, tmp_path: Path
) -> None:
    from sandbox.volumes import mount_volumes

    run_id = f"shared{os.getpid()}"
    models = tmp_path / "models--org--name"
    (models / "snapshots" / "r1").mkdir(parents=True)
    (models / "snapshots" / "r1" / "config.json").write_text("{}")
    boxes = []
    try:
        for agent in ("a1", "a2"):
            spec = sandbox.SandboxSpec(
                run_id=run_id,
                agent_id=agent,
                workspace=tmp_path / agent,
                mounts={"/bundle": bundle, "/models/models--org--name": models},
                docker_host=ssh_host,
            )
            boxes.append(await sandbox.create("docker", spec, host_runtime=True))
        names = [
            sorted(m["Name"] for m in b._container.attrs["Mounts"] if m["Type"] == "volume")
            for b in boxes
        ]
        shared = sorted(mount_volumes(boxes[0].spec).values())
        assert set(shared) <= set(names[0]) and set(shared) <= set(names[1])
        first = await boxes[1].exec(
            "cat /bundle/README.txt; ls /models/models--org--name/snapshots"
        )
        assert first.stdout == "the task bundle\nr1\n"
        for name in shared:
            labels = docker_engine.client.volumes.get(name).attrs["Labels"]
            assert "aar.run" not in labels and labels["aar.content"] == name[len("aar-ro-") :]
    finally:
        for box in boxes:
            await box.remove()
    # The copies stay for the next sandbox on the host; the workspaces went.
    assert docker_engine.client.volumes.list(filters={"label": f"aar.run={run_id}"}) == []
    for name in shared:
        docker_engine.client.volumes.get(name).remove()
    # Other content is another volume.
    before = mount_volumes(boxes[0].spec)["/bundle"]
    (bundle / "README.txt").write_text("changed\n")
    assert mount_volumes(boxes[0].spec)["/bundle"] != before


def test_a_remote_host_without_an_image_is_refused_clearly(tmp_path: Path) -> None:
    spec = sandbox.SandboxSpec(
        run_id="r1", agent_id="a1", workspace=tmp_path, docker_host="ssh://gpu1.example"
    )
    from sandbox.container import _create_blocking

    with pytest.raises(sandbox.SpecError, match="give an image"):
        _create_blocking(spec, None, None, host_runtime=False)
    with pytest.raises(sandbox.SpecError, match="files='container'"):
        _create_blocking(spec, None, "host", host_runtime=True)


def test_a_remote_host_takes_directory_mounts_only(tmp_path: Path) -> None:
    from sandbox.volumes import create_volumes

    single = tmp_path / "labels.txt"
    single.write_text("x")
    spec = sandbox.SandboxSpec(
        run_id="r1",
        agent_id="a1",
        workspace=tmp_path,
        mounts={"/data": single},
        docker_host="ssh://gpu1.example",
    )
    with pytest.raises(sandbox.SpecError, match="directory mounts only"):
        create_volumes(None, spec)

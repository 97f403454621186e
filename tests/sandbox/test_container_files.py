"""The file part of the contract, with files reached through the container itself.

This is how sandboxes on a remote Docker engine read and write files (no host path exists
there); here the local engine is asked to work that way, and the same contract tests run.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import PathRefused, SandboxError
from tests.sandbox.test_contract import (  # noqa: F401  (collected again with these fixtures)
    test_a_symlink_swapped_in_during_reads_never_leads_out,
    test_bundle_is_read_only,
    test_engine_written_files_belong_to_the_sandbox_user,
    test_file_access_is_confined_to_workspace_and_mounts,
    test_pause_freezes_every_process_and_resume_continues,
)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def backend(docker_image: str) -> str:
    return "docker"


@pytest.fixture
def backend_options(docker_engine) -> dict[str, Any]:
    return {"docker_host": docker_engine.host, "files": "container"}


@pytest.fixture
def swap_reads() -> int:
    return 60


async def test_files_go_through_the_container_and_round_trip(make_box) -> None:
    box = await make_box()
    assert box.files_mode == "container"
    data = bytes(range(256)) * 64
    await box.write_file("deep/dir/blob.bin", data)
    assert await box.read_file("/workspace/deep/dir/blob.bin") == data
    entries = {e.name: (e.kind, e.size) for e in await box.list_dir("deep/dir")}
    assert entries == {"blob.bin": ("file", len(data))}
    result = await box.exec("cmp deep/dir/blob.bin deep/dir/blob.bin && wc -c < deep/dir/blob.bin")
    assert result.stdout.strip() == str(len(data))
    for bad in ("", "a\0b", "../x"):
        with pytest.raises(PathRefused):
            await box.read_file(bad)


async def test_a_paused_sandbox_is_read_beside_and_written_after_resume(make_box) -> None:
    box = await make_box()
    await box.write_file("note", bytes(range(256)))
    await box.pause()
    assert await box.read_file("note") == bytes(range(256))
    assert [e.name for e in await box.list_dir(".")] == ["note"]
    with pytest.raises(PathRefused):
        await box.read_file("../etc/passwd")
    with pytest.raises(SandboxError, match="paused"):
        await box.write_file("note", b"later")
    assert await box.status() == "paused"
    await box.resume()
    await box.write_file("note", b"later")
    assert await box.read_file("note") == b"later"

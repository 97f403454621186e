"""cgroup v2: freezing, killing and accounting on the unified hierarchy.

Where cgroup v1 holds the controllers (as on this machine), the unified hierarchy still
freezes and kills, so those are tested there; the limits need a v2-only machine.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from sandbox.cgroups2 import SandboxCgroupV2, unified_root
from tests.conftest import require

# The counter replaces its file whole, so a read never meets it half-written (empty).
COUNTER = """import os, sys, time
i = 0
while True:
    i += 1
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(i))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(0.01)
"""


@pytest.fixture
def unified() -> Path:
    root = unified_root()
    require(
        root is not None and os.access(root, os.W_OK) and (root / "cgroup.procs").exists(),
        "a writable cgroup v2 hierarchy (root)",
    )
    assert root is not None
    return root


async def test_a_v2_cgroup_freezes_thaws_and_kills_a_setsid_child(
    unified: Path, tmp_path: Path
) -> None:
    group = SandboxCgroupV2(f"t{os.getpid()}", "a1", root=unified)
    group.create(memory_mb=None, cpus=None, pids=None)
    counter = tmp_path / "counter.py"
    counter.write_text(COUNTER)
    join = (
        f"echo $$ > {group.procs_files()[0]}; setsid {sys.executable} {counter} {tmp_path}/c & wait"
    )
    proc = await asyncio.create_subprocess_exec("/bin/sh", "-c", join)
    try:
        while not (tmp_path / "c").exists() or len(group.pids()) < 2:
            await asyncio.sleep(0.02)
        group.freeze()
        assert group.frozen()
        before = (tmp_path / "c").read_text()
        await asyncio.sleep(0.3)
        assert (tmp_path / "c").read_text() == before
        group.thaw()
        await asyncio.sleep(0.3)
        assert int((tmp_path / "c").read_text()) > int(before)
        assert group.usage()[2] >= 2
    finally:
        group.remove()
        await proc.wait()
    assert group.pids() == [] and not group.exists()

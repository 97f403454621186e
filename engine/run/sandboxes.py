"""The run's sandboxes: each agent's spec, made fresh, found again after a restart, and
what is left of them cleared when the run ends."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config import RunConfig
from engine.isolation import sandbox_limits
from engine.run.records import RunRecords
from engine.run.task import PreparedTask

if TYPE_CHECKING:
    from sandbox import Sandbox, SandboxSpec

log = logging.getLogger("engine")


def agent_sandbox_spec(
    config: RunConfig, run_id: str, run_dir: Path, task: PreparedTask, agent_id: str
) -> SandboxSpec:
    """An agent's sandbox: its workspace, the bundle, limits, and its share of the
    configured GPUs and Docker hosts (round robin by agent number)."""
    from engine.models import SANDBOX_ENV, sandbox_mounts
    from sandbox import SandboxSpec

    sb = config.sandbox
    workspace = run_dir / "workspaces" / agent_id
    index = int(agent_id[1:]) - 1
    docker_host = sb.docker_hosts[index % len(sb.docker_hosts)] if sb.docker_hosts else None
    if sb.backend != "docker" or docker_host is None or docker_host.startswith("unix://"):
        workspace.mkdir(parents=True, exist_ok=True)  # a remote host keeps it in a volume
    limits = sandbox_limits(config)
    return SandboxSpec(
        run_id=run_id,
        agent_id=agent_id,
        workspace=workspace,
        mounts={"/bundle": task.bundle_dir, **sandbox_mounts(task.models)},
        env=dict(SANDBOX_ENV) if task.models else {},
        cpus=limits.cpus,
        memory_mb=limits.memory_mb,
        pids=limits.pids,
        gpus=(sb.gpus[index % len(sb.gpus)],) if sb.gpus else (),
        network=sb.network,
        image=sb.image,
        docker_host=docker_host,
    )


class RunSandboxes:
    def __init__(
        self,
        config: RunConfig,
        run_id: str,
        run_dir: Path,
        task: PreparedTask,
        records: RunRecords,
    ) -> None:
        self.config = config
        self.run_id = run_id
        self.run_dir = run_dir
        self.task = task
        self.records = records

    def spec(self, agent_id: str) -> SandboxSpec:
        return agent_sandbox_spec(self.config, self.run_id, self.run_dir, self.task, agent_id)

    def places(self) -> list[dict[str, Any]]:
        """Where the run's sandboxes may be: each configured Docker host, else the default."""
        sb = self.config.sandbox
        if sb.backend == "docker" and sb.docker_hosts:
            return [{"docker_host": host} for host in sb.docker_hosts]
        return [{}]

    async def create(self, agent_id: str) -> Sandbox:
        import sandbox

        box = await sandbox.create(self.config.sandbox.backend, self.spec(agent_id))
        log.info(
            "agent %s: sandbox %s (%s, isolated: %s)", agent_id, box.id, box.backend, box.isolated
        )
        await self.records.record_isolation(agent_id, box.isolated)
        return box

    async def surviving(self) -> dict[str, Sandbox]:
        """After a restart: the run's sandboxes still running or paused, by agent; the
        others are removed, to be made afresh over the same workspace."""
        import sandbox

        boxes = []
        for options in self.places():
            try:
                boxes += await sandbox.reattach(self.config.sandbox.backend, self.run_id, **options)
            except Exception as exc:  # none to reattach there: its agents get fresh ones
                log.warning("could not look for the run's sandboxes: %s", exc)
        found: dict[str, Sandbox] = {}
        for box in boxes:
            try:
                state = await box.status()
            except Exception:
                state = "removed"
            if state.startswith("running") or state.startswith("paused"):
                found[box.spec.agent_id] = box
            else:
                await remove(box)
        return found

    async def clear(self, keep: set[str]) -> None:
        """Remove what is left of the run's sandboxes (those of agents that failed to start,
        or of an earlier engine), but those in `keep`."""
        import sandbox

        removed = 0
        for options in self.places():
            try:
                removed += await sandbox.remove_orphans(
                    self.config.sandbox.backend, self.run_id, keep, **options
                )
            except Exception as exc:  # a backend gone away must not fail the run's end
                log.warning("could not remove the run's leftover sandboxes: %s", exc)
        if removed:
            log.info("removed %d leftover sandbox(es)", removed)


async def remove(box: Sandbox) -> None:
    """Remove a sandbox no agent needs; a failure is logged, not raised."""
    try:
        await box.remove()
    except Exception as exc:
        log.warning("could not remove sandbox %s: %s", box.id, exc)

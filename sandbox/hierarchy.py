"""Which cgroup hierarchy holds a sandbox's cgroups here: v1 where it is offered, else v2.

cgroup = cgroup_for(run_id, agent_id)  # a SandboxCgroup or a SandboxCgroupV2
"""

from __future__ import annotations

from sandbox.cgroups import SandboxCgroup, v1_available
from sandbox.cgroups2 import SandboxCgroupV2, usable

AnyCgroup = SandboxCgroup | SandboxCgroupV2


def cgroups_available() -> bool:
    """True when a sandbox can have cgroups here: v1 (preferred) or v2."""
    return v1_available() or usable()


def cgroup_for(run_id: str, agent_id: str) -> AnyCgroup:
    """The sandbox's cgroups on whichever hierarchy this machine offers."""
    if v1_available():
        return SandboxCgroup(run_id, agent_id)
    return SandboxCgroupV2(run_id, agent_id)


def agents_with_cgroups(run_id: str) -> list[str]:
    """The agents of a run that have cgroups on this machine's hierarchy."""
    if v1_available():
        return SandboxCgroup.agents_of_run(run_id)
    return SandboxCgroupV2.agents_of_run(run_id)

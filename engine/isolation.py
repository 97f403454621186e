"""What a run's sandboxes will be, checked and said before the run starts.

A local sandbox without bubblewrap is not isolated: its commands see the host's files (the
hidden labels among them) and network. A run refuses to start that way unless the
supervisor asked for it (`--allow-unisolated`). Every sandbox gets limits; those the config
leaves out are this machine's share per agent (`sandbox.limits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.config import RunConfig
from engine.errors import ConfigError

if TYPE_CHECKING:
    from sandbox.limits import Limits

UNISOLATED = (
    "bubblewrap (bwrap) is not installed, so local sandboxes would not be isolated:"
    " install the package 'bubblewrap', or use --sandbox docker"
    " (--allow-unisolated runs them anyway)"
)


def refuse_unisolated(config: RunConfig) -> None:
    """Raise, in one line naming the fix, when local sandboxes could not be isolated."""
    from sandbox.bwrap import bwrap_path

    sb = config.sandbox
    if sb.backend == "local" and not sb.allow_unisolated and bwrap_path() is None:
        raise ConfigError(UNISOLATED)


def sandbox_limits(config: RunConfig, agents: int | None = None) -> Limits:
    """Each sandbox's limits: the config's, and this machine's share for the rest."""
    from sandbox.limits import Limits, default_limits

    sb = config.sandbox
    share = default_limits(agents or config.agents.count)
    return Limits(
        cpus=sb.cpus if sb.cpus is not None else share.cpus,
        memory_mb=sb.memory_mb if sb.memory_mb is not None else share.memory_mb,
        pids=sb.pids if sb.pids is not None else share.pids,
    )


def limits_line(config: RunConfig) -> str:
    """The one line `aar run` prints at start: where agents run and what each may use."""
    from sandbox.limits import Machine

    machine = Machine.here()
    count = config.agents.count
    return (
        f"sandboxes: {config.sandbox.backend}, each {sandbox_limits(config).describe()}"
        f" ({count} agent{'s' if count != 1 else ''} on {machine.cores} cores,"
        f" {machine.memory_mb / 1024:.1f} GiB)"
    )

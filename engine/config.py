"""The run configuration: a TOML file and the same fields as `aar run` flags, validated on load.

Every error names the field, the value given and what is allowed, e.g.
`agents.count: -1 is not allowed: Input should be greater than or equal to 1`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentsConfig(_Section):
    count: Annotated[int, Field(ge=1, le=256)] = 3
    # Starting directions, one per agent; too few are filled from the built-in list.
    directions: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    brain: Literal["offline", "claude", "scripted"] = "offline"
    model: str | None = None
    # Seconds between two steps of the offline brain; 0 in tests.
    step_delay: Annotated[float, Field(ge=0, le=60)] = 0.0


class SandboxConfig(_Section):
    backend: Literal["local", "docker"] = "local"
    cpus: Annotated[float, Field(gt=0)] | None = None
    memory_mb: Annotated[int, Field(ge=64)] | None = None
    pids: Annotated[int, Field(ge=16)] | None = 512
    image: str | None = None
    network: bool = False
    # GPUs handed out one per agent, round robin; empty: none.
    gpus: list[str] = Field(default_factory=list)
    # Docker hosts to place sandboxes on, round robin (unix://, tcp://, ssh://).
    docker_hosts: list[Annotated[str, Field(pattern=r"^(unix|tcp|ssh)://.+")]] = Field(
        default_factory=list
    )
    command_timeout: Annotated[float, Field(gt=0, le=86400)] = 600.0
    experiment_timeout: Annotated[float, Field(gt=0, le=86400)] = 1800.0


class ScoringConfig(_Section):
    submissions_per_hour: Annotated[int, Field(ge=0)] = 60
    # A submission whose hard labels differ from an earlier one's in fewer than this share
    # of test rows is flagged as possible probing and gets no new score.
    probe_threshold: Annotated[float, Field(ge=0, le=0.5)] = 0.01
    flag_degenerate: bool = True


class ReproductionConfig(_Section):
    """How a submission is reproduced: over how many seeds, from how big a snapshot."""

    seeds: Annotated[int, Field(ge=2, le=20)] = 5
    # The workspace snapshot kept with a code submission, at most this size.
    snapshot_mb: Annotated[float, Field(gt=0, le=1024)] = 16.0
    # One seed's run of a reproduce command, at most this long.
    timeout: Annotated[float, Field(gt=0, le=86400)] = 1800.0


class AttentionConfig(_Section):
    error_streak: Annotated[int, Field(ge=1)] = 3
    stuck_minutes: Annotated[float, Field(gt=0)] = 10.0
    budget_near: Annotated[float, Field(gt=0, le=1)] = 0.9


class BudgetConfig(_Section):
    minutes: Annotated[float, Field(gt=0)] | None = None
    experiments_per_agent: Annotated[int, Field(ge=0)] | None = None
    tokens_per_agent: Annotated[int, Field(ge=0)] | None = None
    cost_usd: Annotated[float, Field(ge=0)] | None = None
    cost_usd_per_agent: Annotated[float, Field(ge=0)] | None = None
    # The whole run's tokens and experiments, all agents together.
    tokens: Annotated[int, Field(ge=0)] | None = None
    experiments: Annotated[int, Field(ge=0)] | None = None
    # An agent's own working time (paused time not counted); the run's is `minutes`.
    minutes_per_agent: Annotated[float, Field(gt=0)] | None = None
    gpu_hours: Annotated[float, Field(ge=0)] | None = None
    gpu_hours_per_agent: Annotated[float, Field(ge=0)] | None = None


class RunConfig(_Section):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] | None = None
    task: Annotated[str, Field(min_length=1)] = "toy"
    data: str | None = None
    seed: int = 0
    run_dir: Path | None = None
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    reproduction: ReproductionConfig = Field(default_factory=ReproductionConfig)
    attention: AttentionConfig = Field(default_factory=AttentionConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)


def _describe(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "config"
        if e["type"] == "extra_forbidden":
            lines.append(f"{field}: unknown field (check the spelling; see the README)")
            continue
        lines.append(f"{field}: {e.get('input')!r} is not allowed: {e['msg']}")
    return "invalid run configuration:\n  " + "\n  ".join(lines)


def validate(obj: dict[str, Any]) -> RunConfig:
    try:
        return RunConfig.model_validate(obj)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load(path: Path | None = None, overrides: dict[str, Any] | None = None) -> RunConfig:
    """The config from a TOML file (if any) with `overrides` (from flags) laid over it."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return validate(_merge(data, overrides or {}))


def default_runs_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aar" / "runs"

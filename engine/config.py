"""The run configuration: a TOML file and the same fields as `aar run` flags, validated on load.

Every error names the field, the value given and what is allowed, e.g.
`agents.count: -1 is not allowed: Input should be greater than or equal to 1`. Fields are
strict: a count is a TOML integer (not `true`, `"2"` or `2.0`), every number is finite,
and every limit lies within what a machine can give (`engine.limits` for the budgets).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from engine.bounds import MAX_MINUTES, SubmissionsPerHour
from engine.errors import ConfigError
from engine.limits import LIMITS, Limit, Limits, LimitValues, with_limits

# Docker takes no less than a hundredth of a CPU; no machine has more than this many.
MIN_CPUS, MAX_CPUS = 0.01, 4096
MAX_MEMORY_MB = 64 * 1024 * 1024  # 64 TiB
MAX_PIDS = 4_194_304  # the kernel's PID_MAX_LIMIT


def _docker_host(url: str) -> str:
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("the port must be a number from 1 to 65535")
    return url


DockerHost = Annotated[
    str, Field(pattern=r"^(unix|tcp|ssh)://.+", max_length=4096), AfterValidator(_docker_host)
]


class _Section(BaseModel):
    # Strict: TOML says what type a value is, so `true` or "2" for a count is a mistake.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class AgentsConfig(_Section):
    count: Annotated[int, Field(ge=1, le=256)] = 3
    # Starting directions, one per agent; too few are filled from the built-in list.
    directions: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=256
    )
    brain: Literal["offline", "claude", "scripted"] = "offline"
    model: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    # Seconds between two steps of the offline brain; 0 in tests.
    step_delay: Annotated[float, Field(ge=0, le=60)] = 0.0


class SandboxConfig(_Section):
    backend: Literal["local", "docker"] = "local"
    cpus: Annotated[float, Field(ge=MIN_CPUS, le=MAX_CPUS)] | None = None
    memory_mb: Annotated[int, Field(ge=64, le=MAX_MEMORY_MB)] | None = None
    pids: Annotated[int, Field(ge=16, le=MAX_PIDS)] | None = 512
    image: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    network: bool = False
    # GPUs handed out one per agent, round robin; empty: none.
    gpus: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(default_factory=list)
    # Docker hosts to place sandboxes on, round robin (unix://, tcp://, ssh://).
    docker_hosts: list[DockerHost] = Field(default_factory=list)
    command_timeout: Annotated[float, Field(gt=0, le=86400)] = 600.0
    experiment_timeout: Annotated[float, Field(gt=0, le=86400)] = 1800.0
    # Without bubblewrap a local sandbox is not isolated; a run then starts only if asked to.
    allow_unisolated: bool = False


class ScoringConfig(_Section):
    submissions_per_hour: SubmissionsPerHour = 60
    # A submission whose hard labels differ from an earlier one's in fewer than this share
    # of test rows is flagged as possible probing and gets no new score.
    probe_threshold: Annotated[float, Field(ge=0, le=0.5)] = 0.01
    flag_degenerate: bool = True
    # The grid of released public accuracies (the Ladder's step); unset: 1/sqrt(public test
    # rows) rounded up to 0.001, i.e. 0.012 on toy. A multiple of 0.001.
    step: Annotated[float, Field(ge=0.001, le=0.5)] | None = None
    # New public scores released a day (any 24 hours), the whole run together.
    releases_per_day: Annotated[int, Field(ge=1, le=1_000_000)] = 100
    # A submission within this share of test rows of `adaptive_count` earlier ones is part
    # of an adaptive design (small-block variations) and is flagged `adaptive`.
    adaptive_share: Annotated[float, Field(gt=0, le=0.5)] = 0.03
    adaptive_count: Annotated[int, Field(ge=1, le=1_000_000)] = 8

    @field_validator("step")
    @classmethod
    def _step_on_thousandths(cls, step: float | None) -> float | None:
        if step is not None and abs(step * 1000 - round(step * 1000)) > 1e-6:
            raise ValueError("the step must be a multiple of 0.001, e.g. 0.02")
        return step


class ReproductionConfig(_Section):
    """How a submission is reproduced: over how many seeds, from how big a snapshot."""

    seeds: Annotated[int, Field(ge=2, le=20)] = 5
    # The workspace snapshot kept with a code submission, at most this size.
    snapshot_mb: Annotated[float, Field(gt=0, le=1024)] = 16.0
    # One seed's run of a reproduce command, at most this long.
    timeout: Annotated[float, Field(gt=0, le=86400)] = 1800.0


class AttentionConfig(_Section):
    error_streak: Annotated[int, Field(ge=1, le=10_000)] = 3
    stuck_minutes: Annotated[float, Field(gt=0, le=MAX_MINUTES)] = 10.0
    budget_near: Annotated[float, Field(gt=0, le=1)] = 0.9
    # Hold an agent with a streak of errors or no progress until a person resumes it.
    hold: bool = False


class _BudgetConfig(_Section, LimitValues):
    """The run's limits (`engine.limits`) but the submission rate, which scoring keeps."""


# Annotations name the base: the fields are made at run time, from LIMITS.
if TYPE_CHECKING:
    BudgetConfig = _BudgetConfig
else:
    BudgetConfig = with_limits(_BudgetConfig, bounded=True, section="budget")


class RunConfig(_Section):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] | None = None
    task: Annotated[str, Field(min_length=1, max_length=200)] = "toy"
    data: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    # A folder in the Hugging Face cache's layout to read the task's models from (None: the
    # cache of HF_HUB_CACHE / HF_HOME, else ~/.cache/huggingface/hub). A path arrives as a
    # string from TOML and flags.
    models: Annotated[Path, Field(strict=False)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    run_dir: Annotated[Path, Field(strict=False)] | None = None
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    reproduction: ReproductionConfig = Field(default_factory=ReproductionConfig)
    attention: AttentionConfig = Field(default_factory=AttentionConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)

    def limit(self, limit: Limit) -> float | None:
        """The limit as set now (None: no limit)."""
        value: float | None = getattr(getattr(self, limit.section), limit.name)
        return value

    def set_limit(self, limit: Limit, value: float) -> None:
        # The config object is shared by every part, so a change is seen at once everywhere.
        setattr(getattr(self, limit.section), limit.name, value)

    def limits(self) -> Limits:
        """Every limit as set now, each given (so that a `budget` event sets them all)."""
        return Limits(**{limit.name: self.limit(limit) for limit in LIMITS})


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
            data = tomllib.loads(Path(path).read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except IsADirectoryError:
            raise ConfigError(f"config file {path} is a directory: give a TOML file") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"config file {path} is not UTF-8 text (byte {exc.start}): TOML files are UTF-8"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return validate(_merge(data, overrides or {}))


def default_runs_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aar" / "runs"

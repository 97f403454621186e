"""The run's limits, each defined once in `LIMITS`.

The config's `[budget]` section, the `SetBudget` command, the snapshot's `Budgets`, the
`budget` event, the flags of `aar run` and `aar ctl budget` and the budget dialog's fields
are all read off it. A limit names the spend it caps and what holds the run to it: the
budget guard (`engine.budgets`) pauses the agents past it, the deadline ends the run, the
scorer refuses submissions past the rate. Adding a limit is one `Limit` here and, for a
spend the guard does not measure yet, that measure in the guard.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, create_model

from engine.bounds import Count, GpuHours, Minutes, SubmissionsPerHour, Tokens, Usd
from engine.record import Record

Scope = Literal["run", "agent"]
# What a limit caps, as the budget guard measures it.
Measure = Literal["minutes", "tokens", "cost", "experiments", "gpu_hours", "submissions"]
Enforcer = Literal["guard", "deadline", "scorer"]
Section = Literal["budget", "scoring"]


@dataclass(frozen=True)
class Limit:
    name: str  # its field in the config, SetBudget and Budgets; its flag is --name-with-dashes
    label: str  # in the budget dialog
    help: str  # the flag's help
    # An `engine.bounds` type (`Annotated[int, Field(...)]`), which typing cannot name.
    bounds: Any
    scope: Scope
    caps: Measure
    noun: str = ""  # as in "the agent's token budget is spent"
    shown: str = ""  # the spend beside the limit in that reason: a format of spent, limit
    section: Section = "budget"  # the config's section that keeps it
    default: float | None = None  # None: no limit
    enforcer: Enforcer = "guard"
    example: float = field(kw_only=True)  # a value worth writing in `aar init`'s example

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def number(self) -> type[int] | type[float]:
        """int for a count, float for any figure."""
        kind: type[int] | type[float] = typing.get_args(self.bounds)[0]
        return kind

    def spent_reason(self, spent: float, limit: float) -> str:
        """Why the guard holds an agent past this limit, in words."""
        figures = self.shown.format(spent=spent, limit=limit)
        return f"the {self.scope}'s {self.noun} budget is spent ({figures})"


MINUTES = Limit(
    "minutes",
    "run length, minutes",
    "The run's total length from its start.",
    Minutes,
    "run",
    "minutes",
    enforcer="deadline",
    example=60.0,
)
MINUTES_PER_AGENT = Limit(
    "minutes_per_agent",
    "minutes per agent",
    "An agent's own working time (paused time not counted).",
    Minutes,
    "agent",
    "minutes",
    "working-time",
    "{spent:.1f} of {limit:g} minutes",
    example=240.0,
)
SUBMISSIONS_PER_HOUR = Limit(
    "submissions_per_hour",
    "submissions per agent per hour",
    "An agent's submissions in any hour.",
    SubmissionsPerHour,
    "agent",
    "submissions",
    section="scoring",
    default=60,
    enforcer="scorer",
    example=60,
)
SUBMISSIONS_PER_AGENT = Limit(
    "submissions_per_agent",
    "submissions per agent (in all)",
    "An agent's submissions in all: past them it is held, so it cannot probe the public"
    " score without end.",
    Count,
    "agent",
    "submissions",
    "submission",
    "{spent} of {limit}",
    example=100,
)
COST_USD = Limit(
    "cost_usd",
    "spend, USD (whole run)",
    "The whole run's model spend, USD.",
    Usd,
    "run",
    "cost",
    "cost",
    "${spent:.2f} of ${limit:.2f}",
    example=50.0,
)
COST_USD_PER_AGENT = Limit(
    "cost_usd_per_agent",
    "spend per agent, USD",
    "An agent's model spend, USD.",
    Usd,
    "agent",
    "cost",
    "cost",
    "${spent:.2f} of ${limit:.2f}",
    example=10.0,
)
TOKENS = Limit(
    "tokens",
    "tokens (whole run)",
    "The whole run's tokens.",
    Tokens,
    "run",
    "tokens",
    "token",
    "{spent:,} of {limit:,}",
    example=20_000_000,
)
TOKENS_PER_AGENT = Limit(
    "tokens_per_agent",
    "tokens per agent",
    "An agent's tokens, in and out.",
    Tokens,
    "agent",
    "tokens",
    "token",
    "{spent:,} of {limit:,}",
    example=2_000_000,
)
EXPERIMENTS = Limit(
    "experiments",
    "experiments (whole run)",
    "The whole run's experiments.",
    Count,
    "run",
    "experiments",
    "experiment",
    "{spent} of {limit}",
    example=1000,
)
EXPERIMENTS_PER_AGENT = Limit(
    "experiments_per_agent",
    "experiments per agent",
    "An agent's experiments; past them run_experiment refuses.",
    Count,
    "agent",
    "experiments",
    "experiment",
    "{spent} of {limit}",
    example=50,
)
GPU_HOURS = Limit(
    "gpu_hours",
    "GPU hours (whole run)",
    "The whole run's GPU-hours.",
    GpuHours,
    "run",
    "gpu_hours",
    "GPU-hour",
    "{spent:.2f} of {limit:.2f}",
    example=24.0,
)
GPU_HOURS_PER_AGENT = Limit(
    "gpu_hours_per_agent",
    "GPU hours per agent",
    "An agent's GPU-hours.",
    GpuHours,
    "agent",
    "gpu_hours",
    "GPU-hour",
    "{spent:.2f} of {limit:.2f}",
    example=8.0,
)

# In the order the budget dialog lists them: each per-agent limit after its whole-run twin.
LIMITS: tuple[Limit, ...] = (
    MINUTES,
    MINUTES_PER_AGENT,
    SUBMISSIONS_PER_HOUR,
    SUBMISSIONS_PER_AGENT,
    COST_USD,
    COST_USD_PER_AGENT,
    TOKENS,
    TOKENS_PER_AGENT,
    EXPERIMENTS,
    EXPERIMENTS_PER_AGENT,
    GPU_HOURS,
    GPU_HOURS_PER_AGENT,
)
BY_NAME: dict[str, Limit] = {limit.name: limit for limit in LIMITS}


class LimitValues(BaseModel):
    """A record with a field for each limit (see `with_limits`), read by the limit."""

    def limit(self, limit: Limit) -> float | None:
        value: float | None = getattr(self, limit.name)
        return value


M = TypeVar("M", bound=LimitValues)


def with_limits(
    base: type[M],
    *,
    bounded: bool,
    section: Section | None = None,
    unset: bool = False,
) -> type[M]:
    """`base` with one field per limit (of `section`, or all), named like `base` less its
    leading underscore. A field is optional, `bounded` by the limit's range or any number
    of its type, and defaults to the limit's default (to None when `unset`)."""
    fields: dict[str, Any] = {
        limit.name: (
            (limit.bounds if bounded else limit.number) | None,
            None if unset else limit.default,
        )
        for limit in LIMITS
        if section is None or limit.section == section
    }
    name = base.__name__.lstrip("_")
    return create_model(
        name, __base__=base, __module__=base.__module__, __doc__=base.__doc__, **fields
    )


class Spend(Record):
    """What the run has spent, as the budget guard counts it."""

    elapsed_minutes: float = 0.0
    tokens_used: int = 0
    gpu_hours_used: float = 0.0
    # Why the run is paused by a budget ("" when it is not).
    paused_reason: str = ""


class _Limits(Record, LimitValues):
    """Every limit as it stands (None: no limit)."""


# Annotations name the base: the fields are made at run time, from LIMITS.
if TYPE_CHECKING:
    Limits = _Limits
else:
    Limits = with_limits(_Limits, bounded=False)


def older_budget_event(cls: type[BaseModel], data: Any) -> Any:
    """A `budget` event of a run from before its limits and spend went out together: one
    `budgets` dict with either. Only the fields it has are set, so only they are applied."""
    if isinstance(data, dict) and isinstance(data.get("budgets"), dict):
        old = data["budgets"]
        return {
            "kind": data.get("kind", "budget"),
            "limits": {k: v for k, v in old.items() if k in BY_NAME},
            "spend": {k: v for k, v in old.items() if k in Spend.model_fields},
        }
    return data

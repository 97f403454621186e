"""What the budget guard reads of a run: its agents, its limits, its snapshot, its log and
its clock. `engine.runtime.Engine` is one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from engine.agent import Agent
from engine.config import RunConfig
from engine.eventlog import EventLog
from engine.projection import Projection


class BudgetedRun(Protocol):
    @property
    def agents(self) -> Mapping[str, Agent]: ...

    @property
    def config(self) -> RunConfig: ...

    @property
    def projection(self) -> Projection: ...

    @property
    def events(self) -> EventLog: ...

    def elapsed_minutes(self) -> float: ...

"""The largest values a run's limits and ids may take: one definition for config, commands, API.

A limit is finite and within what a run can mean: a figure past these is a typo or an
attack, and taken as given it would end in a sandbox that cannot start, a deadline that
never comes or an integer SQLite cannot hold. NaN and the infinities are refused with them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# SQLite integers are 64-bit: larger ids could only ever be "not found".
MAX_ID = 2**63 - 1
# A run is a month of work at most; --minutes past that is a mistake, not a plan.
MAX_MINUTES = 30 * 24 * 60
MAX_COUNT = 10**9  # experiments, submissions
MAX_TOKENS = 10**13
MAX_USD = 10**7
MAX_GPU_HOURS = 10**7
# One submission a second per agent is already far past what scoring is for.
MAX_SUBMISSIONS_PER_HOUR = 3600
# A submission's method: a few words, or a whole method config as JSON (every field of it).
MAX_METHOD = 4096

# Agent ids are short (`a1`, `a2` ...); the cap keeps a huge one from becoming a huge row.
AgentId = Annotated[str, Field(min_length=1, max_length=64)]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Minutes = Annotated[float, Field(gt=0, le=MAX_MINUTES, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Tokens = Annotated[int, Field(ge=0, le=MAX_TOKENS)]
Usd = Annotated[float, Field(ge=0, le=MAX_USD, allow_inf_nan=False)]
GpuHours = Annotated[float, Field(ge=0, le=MAX_GPU_HOURS, allow_inf_nan=False)]
SubmissionsPerHour = Annotated[int, Field(ge=0, le=MAX_SUBMISSIONS_PER_HOUR)]

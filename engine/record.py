"""`Record`: the base of every record that crosses a boundary (events, commands, views)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """Immutable and strict about fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

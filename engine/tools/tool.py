"""A tool: its spec (a name, its input model, its body) and what it gives back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine.tools.env import ToolEnv
from engine.tools.inputs import ToolInput

OUTPUT_CAP = 16_000


class ToolResult(BaseModel):
    """What a tool gives back: text for a model, `data` for a policy that reads structure."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    output: str = ""
    error: str | None = None
    data: dict[str, Any] = {}
    truncated: bool = False

    @classmethod
    def failure(cls, error: str) -> ToolResult:
        return cls(ok=False, error=error)


Handler = Callable[[ToolEnv, Any], Awaitable[ToolResult]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    input_model: type[ToolInput]
    handler: Handler = field(repr=False)

    @property
    def description(self) -> str:
        return " ".join((self.input_model.__doc__ or "").split())

    def schema(self) -> dict[str, Any]:
        """Name, description and JSON schema, the shape model tool-use APIs take."""
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_model.model_json_schema(),
        }


def cap(text: str, limit: int = OUTPUT_CAP) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    head = limit * 3 // 4
    tail = limit - head
    cut = len(text) - limit
    return f"{text[:head]}\n[... {cut} characters cut ...]\n{text[-tail:]}", True

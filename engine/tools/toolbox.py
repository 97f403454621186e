"""The toolbox every brain acts through: it validates, runs and records each tool call.

`Toolbox.call(name, input)` never raises for a bad call: an unknown tool, input that does
not validate or a tool that fails comes back as `ToolResult(ok=False, error=...)` the
brain can read. Each call is a `tool_call` event and its result a `tool_result` event,
with output capped at `OUTPUT_CAP` characters.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from pydantic import ValidationError

from engine.errors import EngineError
from engine.events import ToolCallPayload, ToolResultPayload
from engine.tools.catalog import TOOLS
from engine.tools.env import ToolEnv
from engine.tools.tool import ToolResult, ToolSpec, cap


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "input"
        parts.append(f"{where}: {e['msg']}")
    return "invalid input: " + "; ".join(parts)


class Toolbox:
    def __init__(self, env: ToolEnv, specs: list[ToolSpec] | None = None) -> None:
        self.env = env
        self._specs = {s.name: s for s in (specs or TOOLS)}
        self.step = 0

    def specs(self) -> list[dict[str, Any]]:
        return [s.schema() for s in self._specs.values()]

    @property
    def names(self) -> list[str]:
        return list(self._specs)

    async def call(
        self, name: str, raw: dict[str, Any] | None = None, *, call_id: str | None = None
    ) -> ToolResult:
        call_id = call_id or uuid.uuid4().hex[:12]
        raw = raw if isinstance(raw, dict) else {"_": raw}
        env = self.env
        env.events.append(
            env.agent_id,
            ToolCallPayload(call_id=call_id, tool=str(name)[:100], input=raw, step=self.step),
        )
        started = time.monotonic()
        try:
            result = await self._run(name, raw, call_id)
        except asyncio.CancelledError:
            # Cut short (a hard pause, a stop, the run's end): the log says so, so that every
            # call has its answer.
            env.events.append(
                env.agent_id,
                ToolResultPayload(
                    call_id=call_id,
                    tool=str(name)[:100],
                    ok=False,
                    output="",
                    error="interrupted: the call was cut short before it finished",
                    duration=round(time.monotonic() - started, 3),
                ),
            )
            raise
        output, truncated = cap(result.output)
        result = result.model_copy(
            update={"output": output, "truncated": result.truncated or truncated}
        )
        env.events.append(
            env.agent_id,
            ToolResultPayload(
                call_id=call_id,
                tool=str(name)[:100],
                ok=result.ok,
                output=result.output,
                error=result.error,
                truncated=result.truncated,
                duration=round(time.monotonic() - started, 3),
            ),
        )
        return result

    async def _run(self, name: str, raw: dict[str, Any], call_id: str) -> ToolResult:
        spec = self._specs.get(name)
        if spec is None:
            return ToolResult.failure(
                f"there is no tool {name!r}; the tools are: {', '.join(self._specs)}"
            )
        try:
            parsed = spec.input_model.model_validate(raw)
        except ValidationError as exc:
            return ToolResult.failure(_describe(exc))
        try:
            self.env.call_id = call_id
            return await spec.handler(self.env, parsed)
        except EngineError as exc:
            return ToolResult.failure(str(exc))
        except Exception as exc:
            # A tool's own failure (a sandbox error, a grader error) is the brain's to read.
            from sandbox.errors import SandboxError
            from w2s.errors import W2SError

            if isinstance(exc, SandboxError | W2SError):
                return ToolResult.failure(str(exc))
            raise

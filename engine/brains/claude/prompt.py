"""The model's instructions: the system prompt and the tool definitions.

The prompt's words live in `system_prompt.md` (and the summarising instruction in
`summary_prompt.md`), with `{{name}}` slots filled here. The tool definitions are built
from the toolbox's own specs, the pydantic input models that validate every call, so what
the model is told and what the engine accepts cannot drift apart.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.brains.claude.conversation import EPHEMERAL
from engine.limits import EXPERIMENTS_PER_AGENT, SUBMISSIONS_PER_HOUR

if TYPE_CHECKING:
    from engine.config import RunConfig

HERE = Path(__file__).resolve().parent
_SLOT = re.compile(r"\{\{(\w+)\}\}")


@cache
def template(name: str) -> str:
    return (HERE / name).read_text()


def fill(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"the prompt template names {{{{{key}}}}}, which has no value")
        return values[key]

    return _SLOT.sub(one, text)


def method_fields() -> str:
    from w2s.methods import describe_fields

    return "\n".join(
        f"- `{f['name']}` (default `{json.dumps(f['default'])}`; {f['allowed']}): {f['doc']}"
        for f in describe_fields()
    )


def budgets_text(config: RunConfig | None) -> str:
    """The run's limits that bind an agent, in words (empty when there are none)."""
    if config is None:
        return ""
    parts = []
    experiments = config.limit(EXPERIMENTS_PER_AGENT)
    if experiments is not None:
        parts.append(f"You may run {experiments} experiments in all.")
    if rate := config.limit(SUBMISSIONS_PER_HOUR):
        parts.append(f"Submissions are limited to {rate} an hour.")
    return " ".join(parts)


def system_prompt(
    *, agent_id: str, direction: str, task: str, tool_names: list[str], budgets: str = ""
) -> str:
    return fill(
        template("system_prompt.md"),
        {
            "agent_id": agent_id,
            "direction": direction,
            "task": task,
            "tool_names": ", ".join(f"`{n}`" for n in tool_names),
            "method_fields": method_fields(),
            "budgets": budgets,
        },
    )


def summary_instruction(max_words: int = 600) -> str:
    return fill(template("summary_prompt.md"), {"max_words": str(max_words)})


def _clean_schema(node: Any) -> Any:
    """A JSON schema without pydantic's `title` annotations (noise to a model).

    Only a string `title` is an annotation; a property *named* title holds a schema."""
    if isinstance(node, dict):
        return {
            k: _clean_schema(v)
            for k, v in node.items()
            if not (k == "title" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_clean_schema(v) for v in node]
    return node


def tool_definitions(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's tool list from the toolbox's specs; the last one carries a cache breakpoint,
    so the whole list is cached with the system prompt."""
    tools = [
        {
            "name": s["name"],
            "description": s["description"],
            "input_schema": _clean_schema(s["input_schema"]),
        }
        for s in specs
    ]
    if tools:
        tools[-1]["cache_control"] = EPHEMERAL
    return tools

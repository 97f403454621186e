"""What the Models API says about the models a key can use: their ids and context windows.

Used by `aar claude check` and by the brain, which checks its configured model once per
run when a key is present and warns when the API does not list it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.brains.claude.models import card


@dataclass(frozen=True)
class ListedModel:
    id: str
    display_name: str
    context_tokens: int | None


async def list_models(client: Any) -> list[ListedModel]:
    found = []
    async for m in client.models.list(limit=100):
        found.append(
            ListedModel(m.id, m.display_name, getattr(m, "max_input_tokens", None) or None)
        )
    return found


def unlisted_warning(model: str, listed: list[ListedModel]) -> str | None:
    """A warning when `model` is not among the listed ones (a dated id matches its alias)."""
    ids = {m.id for m in listed}
    if model in ids or any(i.startswith(model + "-") for i in ids):
        return None
    known = ", ".join(sorted(ids)) or "none"
    return f"the Models API does not list {model!r} for this key (it lists: {known})"


def context_of(model: str, listed: list[ListedModel]) -> int:
    """The model's context window: the API's figure when it gives one, else the table's."""
    for m in listed:
        if m.id == model and m.context_tokens:
            return m.context_tokens
    return card(model).context_tokens

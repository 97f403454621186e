"""The brain interface: what decides an agent's next action, whatever is behind it.

The agent runtime calls `Brain.step(ctx)` once per step and may cancel it at any await
(a hard pause, a stop), so a step must leave the brain able to step again. Within a step
a brain streams what it says with `ctx.say(delta)` and what it thinks with
`ctx.think(delta)`, reports model usage with `ctx.usage(...)`, and acts only through
`await ctx.tools.call(name, input, call_id=...)`, the same tools for every brain.
`ctx.tools.specs()` gives each tool's name, description and JSON schema, ready to hand
to a model's tool-use API. Supervisor messages (redirects, broadcasts) arrive in
`ctx.inbox`, drained at the start of each step.

A model-backed brain maps one step to one model call: stream the reply (text and
thinking deltas to `ctx.say` / `ctx.think`), run the tool calls it asks for, and keep
the conversation between steps. The offline researcher maps one step to one action.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from engine.tools.toolbox import Toolbox


@dataclass(frozen=True)
class Message:
    """A message to an agent from the supervisor: a redirect to it alone, or a broadcast."""

    source: Literal["redirect", "broadcast"]
    text: str
    issued_by: str
    ts: float


@dataclass(frozen=True)
class StepOutcome:
    """How a step went: `progress` resets the stuck timer; `done` ends the agent's work."""

    progress: bool = True
    done: bool = False
    # Nothing to do now: the runtime waits a little before the next step.
    idle: bool = False
    # Non-empty: the brain is stuck (why, in words) and raises `needs_attention`.
    stuck: str = ""


@dataclass
class StepContext:
    agent_id: str
    direction: str
    step: int
    tools: Toolbox
    inbox: list[Message] = field(default_factory=list)
    emit_text: Callable[[str], object] = lambda _t: None
    emit_thinking: Callable[[str], object] = lambda _t: None
    emit_usage: Callable[..., object] = lambda _i, _o, _c, **_kw: None
    deadline: float | None = None

    def say(self, text: str) -> None:
        if text:
            self.emit_text(text)

    def think(self, text: str) -> None:
        if text:
            self.emit_thinking(text)

    def usage(
        self,
        tokens_in: int,
        tokens_out: int,
        cost_usd: float,
        *,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        model: str | None = None,
    ) -> None:
        """Report a model call: its tokens, those of them the prompt cache read and wrote, its
        cost and its model."""
        self.emit_usage(
            tokens_in,
            tokens_out,
            cost_usd,
            cache_read_tokens=cache_read_tokens,
            cache_write_tokens=cache_write_tokens,
            model=model,
        )


class Brain(ABC):
    """One agent's decision maker; one instance per agent."""

    name: str = "brain"
    model: str | None = None

    @abstractmethod
    async def step(self, ctx: StepContext) -> StepOutcome:
        """Take one step; may be cancelled at any await."""

    def checkpoint(self) -> bytes | None:
        """The brain's state after a step, saved so that a resumed run goes on from it;
        None: nothing worth keeping (the brain starts afresh on resume)."""
        return None

    def restore(self, state: bytes) -> None:  # noqa: B027 - optional hook, as checkpoint
        """Take back, in a fresh brain of the same kind, what `checkpoint` returned."""

    async def close(self) -> None:  # noqa: B027 - optional hook: most brains hold nothing
        """Release what the brain holds (connections); called once when the agent ends."""

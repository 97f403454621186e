"""Brains for tests: a model stand-in whose steps the test controls."""

from __future__ import annotations

import asyncio

from engine.brain import Brain, StepContext, StepOutcome


class ControlledBrain(Brain):
    """Each step says something, runs one tool call, then waits `hold` seconds (a slow
    model call) unless the test releases it. Records what it saw."""

    name = "controlled"

    def __init__(self, hold: float = 0.05, fail: bool = False, progress: bool = True) -> None:
        self.hold = hold
        self.fail = fail
        self.progress = progress
        self.steps = 0
        self.cancelled = 0
        self.inbox: list[str] = []
        self.release = asyncio.Event()

    async def step(self, ctx: StepContext) -> StepOutcome:
        self.inbox += [m.text for m in ctx.inbox]
        ctx.say(f"step {ctx.step}\n")
        if self.fail:
            raise RuntimeError("the model call failed")
        await ctx.tools.call("write_file", {"path": "note.txt", "content": str(ctx.step)})
        try:
            async with asyncio.timeout(self.hold):
                await self.release.wait()
        except TimeoutError:
            pass
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.steps += 1
        return StepOutcome(progress=self.progress)


class ToolScript(Brain):
    """Makes the given tool calls in its first step, then is done."""

    name = "tool-script"

    def __init__(self, calls: list[tuple[str, dict]]) -> None:
        self.calls = calls

    async def step(self, ctx: StepContext) -> StepOutcome:
        for tool, raw in self.calls:
            await ctx.tools.call(tool, raw)
        return StepOutcome(done=True)

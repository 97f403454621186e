"""A scripted brain: a fixed cycle of cheap tool calls, for load tests and benchmarks.

It exercises the whole path (events, sandbox commands, files, the forum) without the
cost of training, so many agents can run on a small machine.
"""

from __future__ import annotations

from engine.brain import Brain, StepContext, StepOutcome


class ScriptedBrain(Brain):
    name = "scripted"

    def __init__(self, *, post_every: int = 5) -> None:
        self.post_every = post_every

    async def step(self, ctx: StepContext) -> StepOutcome:
        n = ctx.step
        ctx.say(f"step {n}: writing a note and reading it back.\n")
        await ctx.tools.call("write_file", {"path": "notes.txt", "content": f"step {n}\n"})
        await ctx.tools.call("read_file", {"path": "notes.txt"})
        if n % 3 == 0:
            await ctx.tools.call("run_command", {"command": "echo hello"})
        if n % self.post_every == 0:
            await ctx.tools.call(
                "forum_post",
                {"kind": "note", "title": f"{ctx.agent_id} step {n}", "body": "still here"},
            )
        return StepOutcome(progress=True)

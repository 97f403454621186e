"""One agent's runtime: its state machine, its step loop, and how commands reach it.

States follow DESIGN.md. A soft pause shows as `pausing` at once and becomes `paused`
at the next step boundary; a hard pause cancels the step in flight (the model call,
the command) and freezes the sandbox, so it is `paused` at once. A failing step is an
`error` event, not a crash; a streak of them, no progress for a while, or a budget
near its end raises `needs_attention`. Anything else that escapes marks the agent
`failed`, never the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from engine.attention import attention_due
from engine.brain import Brain, Message, StepContext, StepOutcome
from engine.commands import CommandResult
from engine.config import RunConfig
from engine.errors import BrainFailed
from engine.eventlog import EventLog
from engine.events import (
    AgentAttentionPayload,
    AgentState,
    AgentStatePayload,
    AttentionReason,
    ErrorPayload,
    HoldReason,
    TextDeltaPayload,
    ThinkingDeltaPayload,
    UsagePayload,
)
from engine.holds import Holds

if TYPE_CHECKING:
    from engine.tools.toolbox import Toolbox
    from sandbox import Sandbox

log = logging.getLogger("engine.agent")

BACKOFF_MAX = 30.0
# The attention reasons that hold an agent when `[attention] hold` is on.
HELD_FOR = ("error_streak", "stuck")
CLEANUP_WAIT = 5.0
IDLE_WAIT = 2.0


class Agent:
    def __init__(
        self,
        agent_id: str,
        direction: str,
        brain: Brain,
        *,
        config: RunConfig,
        events: EventLog,
        make_sandbox: Callable[[], Awaitable[Sandbox]],
        make_toolbox: Callable[[Agent, Sandbox], Toolbox],
        deadline: Callable[[], float | None],
        usage: Callable[[], tuple[int, int]] = lambda: (0, 0),
        before_step: Callable[[Agent], Awaitable[None]] | None = None,
        checkpoint: Callable[[Agent], Awaitable[None]] | None = None,
        keep_sandbox: Callable[[], bool] = lambda: False,
    ) -> None:
        self.id = agent_id
        self.direction = direction
        self.brain = brain
        self.config = config
        self.events = events
        self._make_sandbox = make_sandbox
        self._make_toolbox = make_toolbox
        self._deadline = deadline
        self._used = usage  # (experiments, tokens) so far, for the budget-near check
        self._before_step = before_step  # the budget guard's look before each step
        self._checkpoint = checkpoint  # saves the brain's state after each step, for resume
        self._keep_sandbox = keep_sandbox
        self.holds = Holds(agent_id, events)
        self.state = AgentState.STARTING
        self.sandbox: Sandbox | None = None
        self.inbox: list[Message] = []
        self.steps = 0
        self.error_streak = 0
        self.attention: AttentionReason = ""
        self.last_progress = time.monotonic()
        self._pause: str | None = None  # None, "soft" or "hard"
        self._stop = False
        self._wake = asyncio.Event()
        self._step_task: asyncio.Task[StepOutcome] | None = None
        self._control = asyncio.Lock()

    # ---- state, holds and attention ---------------------------------------------------

    @property
    def budget_reason(self) -> str:
        """What of a budget ran out, in words, while a budget holds the agent; else ""."""
        return self.holds.get("budget", "")

    def _set_state(self, state: AgentState, reason: str = "") -> None:
        if state == self.state:
            return
        previous, self.state = self.state, state
        sandbox_id = None
        if previous == AgentState.STARTING and self.sandbox is not None:
            sandbox_id = self.sandbox.id
        self.events.append(
            self.id,
            AgentStatePayload(state=state, previous=previous, reason=reason, sandbox_id=sandbox_id),
        )

    def attend(self, reason: AttentionReason, detail: str = "") -> None:
        """Raise (or, with reason "", clear) `needs_attention`."""
        if reason == self.attention:
            return
        self.attention = reason
        self.events.append(
            self.id,
            AgentAttentionPayload(needs_attention=bool(reason), reason=reason, detail=detail),
        )
        if reason in HELD_FOR and self.config.attention.hold and self.live:
            # It waits for a person rather than going on failing or wandering.
            self.holds.add("attention", "attention", detail)
            if self._pause is None:
                self._pause = "soft"
                if self.state in (AgentState.RUNNING, AgentState.WAITING):
                    self._set_state(AgentState.PAUSING, f"held for attention: {detail}")
                self._wake.set()

    def _check_attention(self) -> None:
        self.attend(
            *attention_due(
                budget_reason=self.budget_reason,
                error_streak=self.error_streak,
                stuck_seconds=time.monotonic() - self.last_progress,
                used=self._used(),
                config=self.config,
            )
        )

    def check_attention(self) -> None:
        """Called now and then by the engine: a step that hangs (a model call that never
        returns) shows as stuck without waiting for the step to end."""
        if self.state in (AgentState.RUNNING, AgentState.WAITING):
            self._check_attention()

    def come_back_held(self, holds: dict[HoldReason, str]) -> None:
        """An agent of a resumed run that was held: it starts soft-paused, held for the
        reasons the event log left (no new hold events: they are in the log already)."""
        self._pause = "soft"
        self.holds.update(holds)

    # ---- commands (called by the engine) ----------------------------------------------

    @property
    def live(self) -> bool:
        return not self.state.is_terminal and not self._stop

    async def pause(
        self,
        hard: bool = False,
        reason: str = "",
        *,
        hold: HoldReason = "supervisor",
        by: str = "supervisor",
    ) -> CommandResult:
        """Hold the agent for `hold` (given by `by`) and pause it, if it is not already."""
        async with self._control:
            if not self.live:
                return CommandResult.refused(f"{self.id} is {self.state.value}")
            self.holds.add(hold, by, reason)
            if self.state == AgentState.PAUSED:
                if hard and self._pause == "soft":
                    await self._freeze()
                    self._pause = "hard"
                return CommandResult.applied(f"{self.id} is paused")
            if not hard and self._pause is not None:  # pausing already; a soft one stays hard
                return CommandResult.pending(f"{self.id} is pausing")
            if not hard:
                self._pause = "soft"
                if self.state == AgentState.STARTING:
                    return CommandResult.pending("pauses once its sandbox is ready")
                if self._step_task is None or self._step_task.done():
                    self._wake.set()
                self._set_state(AgentState.PAUSING, reason or "soft pause requested")
                return CommandResult.pending("pauses at the end of its current step")
            self._pause = "hard"
            await self._cut_step_short()
            self._wake.set()
            if self.sandbox is None:
                self._set_state(AgentState.PAUSING, "hard pause requested")
                return CommandResult.pending("pauses once its sandbox is ready")
            await self._freeze()
            self._set_state(AgentState.PAUSED, reason or "hard pause")
            return CommandResult.applied(f"{self.id} is paused and its sandbox frozen")

    async def _cut_step_short(self) -> None:
        """Cancel the step in flight and give it a moment to clean up (kill its command,
        forget its experiment) before the sandbox is frozen, which would hold that up."""
        task = self._step_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CLEANUP_WAIT)

    async def _freeze(self) -> None:
        if self.sandbox is not None:
            try:
                await self.sandbox.pause()
            except Exception as exc:
                self._error(f"could not freeze the sandbox: {exc}", "pause")

    async def resume(
        self, *, hold: HoldReason = "supervisor", by: str = "supervisor"
    ) -> CommandResult:
        """Lift `hold` (a person's resume lifts attention's too); run again once none holds.

        A budget's hold is lifted only by raising the budget, never by a resume."""
        async with self._control:
            if not self.live:
                return CommandResult.refused(f"{self.id} is {self.state.value}")
            reasons: tuple[HoldReason, ...] = (
                ("supervisor", "attention") if hold == "supervisor" else (hold,)
            )
            lifted = [r for r in reasons if self.holds.lift(r, by)]
            if "attention" in lifted:  # a person looked: the streak and the clock start again
                self.error_streak = 0
                self.last_progress = time.monotonic()
                self.attend("")
            if self._pause is None:
                if lifted:
                    return CommandResult.applied(f"lifted the {' and '.join(lifted)} hold")
                return CommandResult.refused(f"{self.id} is not paused")
            if self.holds:
                still = f"{self.id} stays paused, held by {self.holds.text()}"
                if "budget" in self.holds:
                    still += ": raise the budget to lift that"
                if lifted:
                    return CommandResult.applied(f"lifted the {' and '.join(lifted)} hold; {still}")
                return CommandResult.refused(still)
            was_hard = self._pause == "hard" and self.state == AgentState.PAUSED
            self._pause = None
            if was_hard and self.sandbox is not None:
                try:
                    await self.sandbox.resume()
                except Exception as exc:
                    self._error(f"could not thaw the sandbox: {exc}", "resume")
            if self.state in (AgentState.PAUSED, AgentState.PAUSING):
                self._set_state(AgentState.RUNNING, "resumed")
            self.last_progress = time.monotonic()
            self._wake.set()
            return CommandResult.applied(f"{self.id} resumed")

    def redirect(self, message: Message) -> CommandResult:
        if not self.live:
            return CommandResult.refused(f"{self.id} is {self.state.value}")
        self.inbox.append(message)
        self._wake.set()
        return CommandResult.pending("the agent reads it at its next step")

    async def stop(
        self, reason: str = "stopped by the supervisor", by: str | None = None
    ) -> CommandResult:
        """Stop the agent; `by` (who stopped it) also lifts its holds, which a resumed run
        would otherwise restore."""
        async with self._control:
            if not self.live:
                return CommandResult.refused(f"{self.id} is already {self.state.value}")
            self._stop = True
            self._stop_reason = reason
            if by is not None:  # a person's stop ends the holds; the run's end keeps them
                for held in list(self.holds):
                    self.holds.lift(held, by)
            self._set_state(AgentState.STOPPING, reason)
            if self._step_task is not None and not self._step_task.done():
                self._step_task.cancel()  # the loop ends once it has cleaned up
            if self._pause == "hard" and self.sandbox is not None:
                with contextlib.suppress(Exception):
                    await self.sandbox.resume()
            self._pause = None
            self._wake.set()
            return CommandResult.pending("stops once its current step is cut short")

    # ---- the loop --------------------------------------------------------------------

    def _error(self, message: str, where: str, fatal: bool = False) -> None:
        self.events.append(self.id, ErrorPayload(message=message[:4000], where=where, fatal=fatal))

    async def _wait(self, seconds: float | None) -> None:
        """Sleep until woken by a command (or for `seconds`)."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            self._set_state(AgentState.STOPPED, "the run ended")
            raise
        except Exception as exc:
            log.exception("agent %s failed", self.id)
            self._error(
                f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}", "agent", fatal=True
            )
            self._set_state(AgentState.FAILED, f"{type(exc).__name__}: {exc}"[:300])
        finally:
            await self._release()

    async def _release(self) -> None:
        with contextlib.suppress(Exception):
            await self.brain.close()
        if self.sandbox is not None and not self._keep_sandbox():
            # The workspace stays in the run directory; the sandbox's own state goes.
            with contextlib.suppress(Exception):
                await asyncio.shield(self.sandbox.stop())
            with contextlib.suppress(Exception):
                await asyncio.shield(self.sandbox.remove())

    async def _run(self) -> None:
        self.sandbox = await self._make_sandbox()
        toolbox = self._make_toolbox(self, self.sandbox)
        if self._pause == "hard":
            await self._freeze()
        while True:
            if self._stop:
                self._set_state(AgentState.STOPPED, getattr(self, "_stop_reason", "stopped"))
                return
            if self._pause is not None:
                self._set_state(AgentState.PAUSED, self.budget_reason or f"{self._pause} pause")
                await self._wait(None)
                continue
            if self._before_step is not None:
                await self._before_step(self)  # a spent budget holds it here, before it spends
                if self._pause is not None or self._stop:
                    continue
            self._set_state(AgentState.RUNNING, "working")
            outcome = await self._one_step(toolbox)
            if self._checkpoint is not None:
                await self._checkpoint(self)
            if outcome is None:
                continue
            if outcome.done:
                self._set_state(AgentState.FINISHED, "its work is done")
                return
            if outcome.idle and not self._pause and not self._stop:
                self._set_state(AgentState.WAITING, "nothing to do for now")
                await self._wait(IDLE_WAIT)
            elif self.config.agents.step_delay and not self._pause:
                await self._wait(self.config.agents.step_delay)

    async def _one_step(self, toolbox: Toolbox) -> StepOutcome | None:
        self.steps += 1
        toolbox.step = self.steps
        inbox, self.inbox = self.inbox, []
        step = self.steps
        ctx = StepContext(
            agent_id=self.id,
            direction=self.direction,
            step=step,
            tools=toolbox,
            inbox=inbox,
            emit_text=lambda t: self.events.append(self.id, TextDeltaPayload(text=t, step=step)),
            emit_thinking=lambda t: self.events.append(
                self.id, ThinkingDeltaPayload(text=t, step=step)
            ),
            emit_usage=self._usage,
            deadline=self._deadline(),
        )
        self._step_task = asyncio.create_task(self.brain.step(ctx), name=f"{self.id}-step{step}")
        try:
            outcome = await self._step_task
        except asyncio.CancelledError:
            if self._step_task.cancelled() and (self._pause == "hard" or self._stop):
                # Cut short by a command; messages it had not acted on are read again.
                self.inbox = inbox + self.inbox
                return None
            self._step_task.cancel()
            raise
        except BrainFailed:
            raise  # retrying cannot help: the agent fails, once
        except Exception as exc:
            self.error_streak += 1
            self._error(f"{type(exc).__name__}: {exc}", "step")
            self._check_attention()
            if self._pause is None:  # held for attention: it pauses at once instead
                self._set_state(AgentState.WAITING, "backing off after an error")
                await self._wait(min(BACKOFF_MAX, 0.5 * 2**self.error_streak))
            return None
        finally:
            self._step_task = None
        self.error_streak = 0
        if outcome.progress:
            self.last_progress = time.monotonic()
        if outcome.stuck:
            self.attend("stuck", outcome.stuck)
        else:
            self._check_attention()
        return outcome

    def _usage(
        self, tokens_in: int, tokens_out: int, cost: float, **cache: int | str | None
    ) -> None:
        # `cache`: the cache's read and write tokens and the model, as the brain reports them.
        usage = {"tokens_in": tokens_in, "tokens_out": tokens_out, "cost_usd": cost, **cache}
        self.events.append(self.id, UsagePayload.model_validate(usage))

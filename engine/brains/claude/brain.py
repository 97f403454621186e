"""The Claude brain: one step is one streamed model call and the tool calls it asks for.

Its text and thinking stream to the screen as they are written. Supervisor messages join
the next user turn, marked as coming from the operator. A step cut short (a hard pause, a
stop) while the model writes keeps nothing of the half-written reply; one cut short while
tools run keeps the reply and answers each unfinished tool as interrupted, so the
conversation stays one the API accepts.

A malformed tool call (bad JSON, missing fields, an unknown tool) gets a tool error the
model can read. A model that ends turns without calling a tool, or repeats one failing
call, is nudged; past `settings.nudges` it is reported stuck (`needs_attention`) and waits
for the supervisor, trying again by itself after `settings.stuck_wait` seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

from engine.brain import Brain, Message, StepContext, StepOutcome
from engine.brains.claude.caller import PromptTooLong, call_model
from engine.brains.claude.catalogue import context_of, list_models, unlisted_warning
from engine.brains.claude.context import Room, Summariser, fit_context
from engine.brains.claude.conversation import EPHEMERAL, Conversation
from engine.brains.claude.limiter import CallLimiter, shared
from engine.brains.claude.models import CallUsage, card, cost_usd
from engine.brains.claude.prompt import budgets_text, system_prompt, tool_definitions
from engine.brains.claude.retry import classify
from engine.brains.claude.settings import ClaudeSettings
from engine.brains.claude.transport import Turn, make_client
from engine.errors import BrainFailed

NO_TOOL_NUDGE = (
    "You ended your turn without calling a tool. Nobody answers these turns: the run goes on"
    " only through your tool calls. Pick the next experiment, check, submission or forum post"
    " and call its tool now."
)
REPEAT_NUDGE = (
    "You have made the same failing call {n} times in a row ({tool}); it fails with: {error}."
    " Calling it again will fail again: read the error, then change the input or try"
    " something else."
)
CUT_SHORT = "\n[reply cut short; it is not kept]\n"
INTERRUPTED = "interrupted: the operator paused or stopped you before this finished"


def operator_text(message: Message) -> str:
    what = "a redirect" if message.source == "redirect" else "a message to every agent"
    return (
        f"[Message from the operator ({what}, from {message.issued_by})]\n{message.text}\n"
        "[End of the operator's message. Follow it; it overrides your earlier plans.]"
    )


class ClaudeBrain(Brain):
    name = "claude"
    model: str

    def __init__(
        self,
        *,
        direction: str,
        settings: ClaudeSettings | None = None,
        client: Any | None = None,
        limiter: CallLimiter | None = None,
    ) -> None:
        self.settings = settings or ClaudeSettings()
        self.model = self.settings.model
        self.direction = direction
        self.conversation = Conversation()
        self.total = CallUsage()
        self.cost_usd = 0.0
        self.calls = 0
        self._client = client
        self._limiter = limiter
        self._system: list[dict[str, Any]] | None = None
        self._tools: list[dict[str, Any]] = []
        self._delivered: set[Message] = set()
        self._undelivered: list[Message] = []
        # The latest operator messages, kept verbatim through a summary of the context.
        self.operator_messages: list[str] = []
        self._idle_turns = 0
        self._failing: tuple[str, str] | None = None
        self._repeats = 0
        self._stuck_since: float | None = None
        self._stuck_reason = ""
        self._window: int | None = None

    # ---- the parts shared by the run -----------------------------------------------------

    def shared_parts(self) -> tuple[Any, CallLimiter]:
        if self._client is None or self._limiter is None:
            run = shared(self.settings.max_in_flight)
            if self._limiter is None:
                self._limiter = run.limiter
            if self._client is None:
                timeout = self.settings.retry.timeout
                if timeout not in run.clients:
                    run.clients[timeout] = make_client(timeout=timeout)
                self._client = run.clients[timeout]
        return self._client, self._limiter

    @property
    def context_tokens(self) -> int:
        window = self._window or card(self.model).context_tokens
        return min(window, self.settings.context_tokens)

    async def _check_model(self, ctx: StepContext) -> None:
        """Ask the Models API (once per run) whether it lists our model, and its window."""
        client, _ = self.shared_parts()
        run = shared(self.settings.max_in_flight)
        async with run.models_lock:
            if run.models is None:
                try:
                    run.models = await list_models(client)
                except Exception as exc:
                    verdict = classify(exc)
                    if verdict.action == "fatal":
                        raise BrainFailed(verdict.message) from None
                    run.models = []  # a gateway may not serve /v1/models: no check then
        if not run.models:
            return
        warning = unlisted_warning(self.model, run.models)
        if warning:
            ctx.say(f"\n[warning: {warning}; calls to it may fail]\n")
        self._window = context_of(self.model, run.models)

    # ---- requests ------------------------------------------------------------------------

    def _setup(self, ctx: StepContext) -> None:
        specs = ctx.tools.specs()
        config = getattr(getattr(ctx.tools, "env", None), "config", None)
        text = system_prompt(
            agent_id=ctx.agent_id,
            direction=self.direction,
            task=getattr(config, "task", "toy"),
            tool_names=[s["name"] for s in specs],
            budgets=budgets_text(config),
        )
        self._system = [{"type": "text", "text": text, "cache_control": EPHEMERAL}]
        self._tools = tool_definitions(specs)

    def fixed_chars(self) -> int:
        return len(json.dumps(self._system)) + len(json.dumps(self._tools))

    def request(self) -> dict[str, Any]:
        req: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.settings.max_tokens,
            "system": self._system,
            "tools": self._tools,
            "messages": self.conversation.request_messages(),
        }
        thinking = self.settings.thinking
        if thinking == "adaptive":
            req["thinking"] = {"type": "adaptive", "display": "summarized"}
        elif isinstance(thinking, int):
            req["thinking"] = {"type": "enabled", "budget_tokens": thinking}
        return req

    # ---- a step --------------------------------------------------------------------------

    def checkpoint(self) -> bytes | None:
        c = self.conversation
        return json.dumps(
            {
                "turns": c.turns,
                "chars_per_token": c.chars_per_token,
                "compactions": c.compactions,
                "cost_usd": self.cost_usd,
                "calls": self.calls,
                "operator_messages": self.operator_messages,
                "total": dataclasses.asdict(self.total),
            }
        ).encode()

    def restore(self, state: bytes) -> None:
        saved = json.loads(state)
        self.conversation.turns = saved["turns"]
        self.conversation.chars_per_token = saved["chars_per_token"]
        self.conversation.compactions = saved["compactions"]
        self.cost_usd = saved["cost_usd"]
        self.calls = saved["calls"]
        self.operator_messages = saved["operator_messages"]
        self.total = CallUsage(**saved.get("total", {}))

    async def step(self, ctx: StepContext) -> StepOutcome:
        if self._system is None:
            self._setup(ctx)
            await self._check_model(ctx)
        mark = self.conversation.checkpoint()
        if self.conversation.empty:
            self.conversation.add_user_text(
                f"Begin your research. Your starting direction: {self.direction}"
            )
        fresh = self._undelivered + [
            m for m in ctx.inbox if m not in self._delivered and m not in self._undelivered
        ]
        self._undelivered = []
        for message in fresh:
            said = operator_text(message)
            self.conversation.add_user_text(said)
            if said not in self.operator_messages:
                self.operator_messages = [*self.operator_messages[-4:], said]
        if self._stuck_since is not None:
            waited = time.monotonic() - self._stuck_since
            if not fresh and waited < self.settings.stuck_wait:
                return StepOutcome(progress=False, idle=True, stuck=self._stuck_reason)
            self._stuck_since = None
            self._idle_turns = self._repeats = 0
        if not self.conversation.awaits_reply:
            self.conversation.add_user_text(NO_TOOL_NUDGE)
        try:
            turn = await self._call(ctx)
        except BaseException:
            # Nothing of a call that did not finish is kept; its messages are read again,
            # unless a summary already took them in.
            if self.conversation.restore(mark):
                self._undelivered = fresh
            else:
                self._delivered.update(fresh)
            raise
        self._delivered.update(fresh)
        self.record(ctx, turn)
        chars = self.fixed_chars() + self.conversation.chars()
        self.conversation.learn(chars, turn.usage.prompt_tokens)
        self.conversation.add_assistant(turn.content)
        if not turn.tool_uses:
            return self._no_tool(turn)
        return await self._run_tools(ctx, turn)

    def _room(self) -> Room:
        s = self.settings
        return Room(
            self.context_tokens, self.fixed_chars(), s.max_tokens, s.shorten_at, s.summarise_at
        )

    def _summariser(self, ctx: StepContext) -> Summariser:
        client, limiter = self.shared_parts()

        async def ask(request: dict[str, Any]) -> Turn:
            turn = await call_model(
                client,
                limiter,
                self.settings.retry,
                request,
                on_text=lambda _t: None,
                on_thinking=lambda _t: None,
            )
            self.record(ctx, turn)
            return turn

        return Summariser(self.model, ask, self.direction, self.operator_messages)

    async def _call(self, ctx: StepContext) -> Turn:
        client, limiter = self.shared_parts()
        for attempt in range(2):
            room, summariser = self._room(), self._summariser(ctx)
            await fit_context(self.conversation, room, summariser, ctx.say, force=attempt > 0)
            try:
                return await self._stream(ctx, client, limiter)
            except PromptTooLong:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _stream(self, ctx: StepContext, client: Any, limiter: CallLimiter) -> Turn:
        shown = False

        def say(t: str) -> None:
            nonlocal shown
            shown = True
            ctx.say(t)

        def think(t: str) -> None:
            nonlocal shown
            shown = True
            ctx.think(t)

        try:
            return await call_model(
                client,
                limiter,
                self.settings.retry,
                self.request(),
                on_text=say,
                on_thinking=think,
                on_retry=lambda why, wait: ctx.say(f"\n[{why}; trying again in {wait:.1f} s]\n"),
                on_discard=lambda: ctx.say(CUT_SHORT),
            )
        except asyncio.CancelledError:
            if shown:
                ctx.say(CUT_SHORT)
            raise

    def record(self, ctx: StepContext, turn: Turn) -> None:
        """Account for one call: its usage and cost, as an event and in the totals."""
        u = turn.usage
        cost = cost_usd(self.model, u)
        self.calls += 1
        self.total = self.total + u
        self.cost_usd += cost
        ctx.usage(
            u.prompt_tokens,
            u.output_tokens,
            cost,
            cache_read_tokens=u.cache_read_tokens,
            cache_write_tokens=u.cache_write_tokens,
            model=self.model,
        )

    # ---- what the reply asks for ---------------------------------------------------------

    def _no_tool(self, turn: Turn) -> StepOutcome:
        self._idle_turns += 1
        if turn.stop_reason == "max_tokens":
            self.conversation.add_user_text(
                "Your reply was cut off at the output limit. Keep replies short and put long"
                " content in files with write_file."
            )
        if self._idle_turns >= self.settings.nudges:
            return self._get_stuck(f"the model ended {self._idle_turns} turns without a tool call")
        self.conversation.add_user_text(NO_TOOL_NUDGE)
        return StepOutcome(progress=False)

    def _get_stuck(self, reason: str) -> StepOutcome:
        self._stuck_since = time.monotonic()
        self._stuck_reason = reason
        return StepOutcome(progress=False, idle=True, stuck=reason)

    async def _run_tools(self, ctx: StepContext, turn: Turn) -> StepOutcome:
        results: list[dict[str, Any]] = []
        any_ok = False
        failure: tuple[str, str, str] | None = None
        try:
            for use in turn.tool_uses:
                if use.input_error:
                    ok, text = False, f"{use.input_error}. Call {use.name} again with valid JSON."
                else:
                    result = await ctx.tools.call(use.name, use.input, call_id=use.id)
                    ok = result.ok
                    text = result.output if ok else _failure_text(result.error, result.output)
                results.append(_tool_result(use.id, text, ok))
                any_ok = any_ok or ok
                if not ok:
                    failure = (use.name, json.dumps(use.input, sort_keys=True), text)
        except BaseException:
            # The reply stays (its tools may have had effects); each unfinished tool is
            # answered, since the API refuses a tool use without its result.
            done = {r["tool_use_id"] for r in results}
            results += [
                _tool_result(u.id, INTERRUPTED, False) for u in turn.tool_uses if u.id not in done
            ]
            self.conversation.add_tool_results(results)
            raise
        self.conversation.add_tool_results(results)
        self._idle_turns = 0
        return self._after_tools(any_ok, failure)

    def _after_tools(self, any_ok: bool, failure: tuple[str, str, str] | None) -> StepOutcome:
        if any_ok or failure is None:
            self._failing, self._repeats = None, 0
            return StepOutcome(progress=True)
        name, args, error = failure
        if self._failing == (name, args):
            self._repeats += 1
        else:
            self._failing, self._repeats = (name, args), 1
        if self._repeats >= self.settings.nudges:
            reason = f"the model repeated a failing {name} call {self._repeats} times"
            self.conversation.add_user_text(
                REPEAT_NUDGE.format(n=self._repeats, tool=name, error=error[:500])
            )
            return self._get_stuck(reason)
        if self._repeats >= 2:
            self.conversation.add_user_text(
                REPEAT_NUDGE.format(n=self._repeats, tool=name, error=error[:500])
            )
        return StepOutcome(progress=False)


def _failure_text(error: str | None, output: str) -> str:
    parts = [p for p in (error, output) if p]
    return "\n".join(parts) or "the tool failed"


def _tool_result(tool_use_id: str, text: str, ok: bool) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": tool_use_id,
        "content": text or "(no output)",
    }
    if not ok:
        block["is_error"] = True
    return block

"""How each supervisor command is applied to a run, and recorded.

A command is committed to the store (with who gave it and what became of it) before
the answer goes back, and becomes a `command` event every client sees. The supervisor
acts on the run's parts (the swarm, its lifetime, the forum, the scorer, the reproducer,
the limits), never on the engine that holds them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.agent import Agent
from engine.brain import Message
from engine.commands import (
    Broadcast,
    Command,
    CommandResult,
    FinishRun,
    Pause,
    PauseAll,
    Redirect,
    Reproduce,
    Resume,
    ResumeAll,
    RevealPrivate,
    SetBudget,
    Spawn,
    Stop,
    VoidSubmission,
)
from engine.config import RunConfig
from engine.eventlog import EventLog
from engine.events import CommandPayload, now
from engine.forum import SUPERVISOR
from engine.limits import LIMITS, MINUTES

if TYPE_CHECKING:
    from engine.budgets import BudgetGuard
    from engine.forum import Forum
    from engine.projection import Projection
    from engine.reproduce import Reproducer
    from engine.run.lifetime import RunLifetime
    from engine.run.records import RunRecords
    from engine.run.swarm import Swarm
    from engine.scoring import Scorer

log = logging.getLogger("engine")


def broadcast_message(text: str, issued_by: str) -> Message:
    return Message(source="broadcast", text=text, issued_by=issued_by, ts=now())


def _summary(results: list[CommandResult], what: str) -> CommandResult:
    done = [r for r in results if r.ok]
    if not done:
        return CommandResult.refused(f"no live agent to {what}")
    reason = f"{what}: {len(done)} agent(s)"
    if any(r.status == "pending" for r in done):
        return CommandResult.pending(reason)
    return CommandResult.applied(reason)


class Supervisor:
    def __init__(
        self,
        config: RunConfig,
        *,
        swarm: Swarm,
        lifetime: RunLifetime,
        forum: Forum,
        scorer: Scorer,
        reproducer: Reproducer,
        guard: BudgetGuard,
        publish_budgets: Callable[[], None],
        records: RunRecords,
        events: EventLog,
        projection: Projection,
    ) -> None:
        self.config = config
        self.swarm = swarm
        self.lifetime = lifetime
        self.forum = forum
        self.scorer = scorer
        self.reproducer = reproducer
        self.guard = guard
        self.publish_budgets = publish_budgets
        self.records = records
        self.events = events
        self.projection = projection
        # Set at once by a reveal; the projection has it only once the event is committed
        # (and from the log, for a resumed run).
        self._revealed = False

    async def command(self, cmd: Command) -> CommandResult:
        """Apply `cmd`, record it, and answer; a command must never take the run down."""
        try:
            result = await self._apply(cmd)
            if isinstance(cmd, SetBudget) and result.ok:
                await self.records.save_config(self.config)
                await self.guard.recheck(by=cmd.issued_by)
        except Exception as exc:
            log.exception("command %s failed", cmd.command)
            result = CommandResult.refused(f"the command failed: {type(exc).__name__}: {exc}")
        log.info("command %s by %s: %s", cmd.command, cmd.issued_by, result.status)
        return await self._record(cmd, result)

    def _agent(self, agent_id: str) -> Agent | CommandResult:
        agent = self.swarm.agents.get(agent_id)
        if agent is None:
            known = ", ".join(self.swarm.agents) or "none yet"
            return CommandResult.refused(f"there is no agent {agent_id!r} (agents: {known})")
        return agent

    async def _apply(self, cmd: Command) -> CommandResult:
        match cmd:
            case Pause() | Resume() | Stop() | Redirect():
                agent = self._agent(cmd.agent_id)
                if isinstance(agent, CommandResult):
                    return agent
                match cmd:
                    case Pause():
                        return await agent.pause(hard=cmd.hard, by=cmd.issued_by)
                    case Resume():
                        return await agent.resume(by=cmd.issued_by)
                    case Stop():
                        return await agent.stop(f"stopped by {cmd.issued_by}", by=cmd.issued_by)
                    case Redirect():
                        return agent.redirect(
                            Message(
                                source="redirect", text=cmd.text, issued_by=cmd.issued_by, ts=now()
                            )
                        )
            case PauseAll():
                live = [a for a in self.swarm.agents.values() if a.live]
                return _summary(
                    [await a.pause(hard=cmd.hard, by=cmd.issued_by) for a in live], "pause"
                )
            case ResumeAll():
                live = [a for a in self.swarm.agents.values() if a.live]
                return _summary([await a.resume(by=cmd.issued_by) for a in live], "resume")
            case Spawn():
                if not self.lifetime.running:
                    return CommandResult.refused("the run is not running")
                agent = self.swarm.spawn(cmd.direction, cmd.brain)
                return CommandResult.applied(f"spawned {agent.id}")
            case Broadcast():
                await self.forum.post(
                    SUPERVISOR,
                    "note",
                    cmd.text.splitlines()[0][:200],
                    cmd.text,
                    tags=("supervisor",),
                )
                message = broadcast_message(cmd.text, cmd.issued_by)
                for agent in self.swarm.agents.values():
                    agent.redirect(message)
                return CommandResult.applied("posted on the forum and sent to every live agent")
            case SetBudget():
                return self._set_budget(cmd)
            case RevealPrivate():
                if self._revealed or self.projection.run.private_revealed:
                    return CommandResult.refused("the private scores are already revealed")
                scores = await self.scorer.reveal(cmd.issued_by)
                self._revealed = True
                return CommandResult.applied(f"revealed {len(scores)} private score(s)")
            case VoidSubmission():
                if not await self.scorer.exists(cmd.submission_id):
                    return CommandResult.refused(f"there is no submission {cmd.submission_id}")
                if not await self.scorer.void(cmd.submission_id, cmd.reason, cmd.issued_by):
                    return CommandResult.refused(f"submission {cmd.submission_id} is already void")
                return CommandResult.applied(f"submission {cmd.submission_id} is void")
            case Reproduce():
                return await self._reproduce(cmd)
            case FinishRun():
                if not self.lifetime.running:
                    return CommandResult.refused("the run is not running")
                self.lifetime.finish(cmd.reason)
                return CommandResult.pending("every agent stops; the run then ends")
        return CommandResult.refused(f"unknown command {cmd!r}")

    async def _reproduce(self, cmd: Reproduce) -> CommandResult:
        from engine.reproduce import ReproductionError

        if not self.lifetime.running:
            return CommandResult.refused(
                "the run is not running: `aar report` reproduces the top submissions of a run"
            )
        try:
            await self.reproducer.check(cmd.submission_id)
        except ReproductionError as exc:
            return CommandResult.refused(str(exc))
        self.lifetime.start_task(
            self.reproducer.reproduce_logged(cmd.submission_id), f"reproduce-{cmd.submission_id}"
        )
        seeds = len(self.reproducer.seeds)
        return CommandResult.pending(
            f"reproducing submission {cmd.submission_id} over {seeds} seeds in fresh sandboxes;"
            " the verdict comes as a reproduction event"
        )

    def _set_budget(self, cmd: SetBudget) -> CommandResult:
        changes = {limit: value for limit in LIMITS if (value := cmd.limit(limit)) is not None}
        if not changes:
            return CommandResult.refused("set at least one limit")
        # The config object is shared by every part, so a change is seen at once everywhere.
        for limit, value in changes.items():
            self.config.set_limit(limit, value)
        if MINUTES in changes:
            self.lifetime.set_minutes(changes[MINUTES])
        self.publish_budgets()
        return CommandResult.applied(
            "budgets updated: " + ", ".join(f"{k.name}={v}" for k, v in changes.items())
        )

    async def _record(self, cmd: Command, result: CommandResult) -> CommandResult:
        body = cmd.model_dump(mode="json")
        command_id = await self.records.record_command(cmd, result)
        agent_id = getattr(cmd, "agent_id", None)
        self.events.append(
            agent_id if agent_id in self.swarm.agents else None,
            CommandPayload(
                command_id=command_id,
                command=body,
                issued_by=cmd.issued_by,
                status=result.status,
                reason=result.reason,
            ),
        )
        return result.model_copy(update={"command_id": command_id})

"""How each supervisor command is applied to a running engine, and recorded.

A command is committed to the store (with who gave it and what became of it) before
the answer goes back, and becomes a `command` event every client sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.agent import Agent, broadcast_message
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
from engine.events import CommandPayload, now
from engine.forum import SUPERVISOR
from engine.limits import LIMITS, MINUTES

if TYPE_CHECKING:
    from engine.runtime import Engine


def _agent(engine: Engine, agent_id: str) -> Agent | CommandResult:
    agent = engine.agents.get(agent_id)
    if agent is None:
        known = ", ".join(engine.agents) or "none yet"
        return CommandResult.refused(f"there is no agent {agent_id!r} (agents: {known})")
    return agent


def _summary(results: list[CommandResult], what: str) -> CommandResult:
    done = [r for r in results if r.ok]
    if not done:
        return CommandResult.refused(f"no live agent to {what}")
    pending = any(r.status == "pending" for r in done)
    return CommandResult(
        status="pending" if pending else "applied", reason=f"{what}: {len(done)} agent(s)"
    )


async def apply_command(engine: Engine, cmd: Command) -> CommandResult:
    match cmd:
        case Pause() | Resume() | Stop() | Redirect():
            agent = _agent(engine, cmd.agent_id)
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
                        Message(source="redirect", text=cmd.text, issued_by=cmd.issued_by, ts=now())
                    )
        case PauseAll():
            live = [a for a in engine.agents.values() if a.live]
            return _summary([await a.pause(hard=cmd.hard, by=cmd.issued_by) for a in live], "pause")
        case ResumeAll():
            live = [a for a in engine.agents.values() if a.live]
            return _summary([await a.resume(by=cmd.issued_by) for a in live], "resume")
        case Spawn():
            if not engine.running:
                return CommandResult.refused("the run is not running")
            agent = engine.spawn(cmd.direction, cmd.brain)
            return CommandResult.applied(f"spawned {agent.id}")
        case Broadcast():
            await engine.forum.post(
                SUPERVISOR, "note", cmd.text.splitlines()[0][:200], cmd.text, tags=("supervisor",)
            )
            message = broadcast_message(cmd.text, cmd.issued_by)
            for agent in engine.agents.values():
                agent.redirect(message)
            return CommandResult.applied("posted on the forum and sent to every live agent")
        case SetBudget():
            return _set_budget(engine, cmd)
        case RevealPrivate():
            if engine.private_revealed:
                return CommandResult.refused("the private scores are already revealed")
            scores = await engine.scorer.reveal(cmd.issued_by)
            engine.private_revealed = True
            return CommandResult.applied(f"revealed {len(scores)} private score(s)")
        case VoidSubmission():
            if not await engine.scorer.exists(cmd.submission_id):
                return CommandResult.refused(f"there is no submission {cmd.submission_id}")
            if not await engine.scorer.void(cmd.submission_id, cmd.reason, cmd.issued_by):
                return CommandResult.refused(f"submission {cmd.submission_id} is already void")
            return CommandResult.applied(f"submission {cmd.submission_id} is void")
        case Reproduce():
            return await _reproduce(engine, cmd)
        case FinishRun():
            if not engine.running:
                return CommandResult.refused("the run is not running")
            engine.finish(cmd.reason)
            return CommandResult.pending("every agent stops; the run then ends")
    return CommandResult.refused(f"unknown command {cmd!r}")


async def _reproduce(engine: Engine, cmd: Reproduce) -> CommandResult:
    from engine.reproduce import ReproductionError

    if not engine.running:
        return CommandResult.refused(
            "the run is not running: `aar report` reproduces the top submissions of a run"
        )
    try:
        await engine.reproducer.check(cmd.submission_id)
    except ReproductionError as exc:
        return CommandResult.refused(str(exc))
    engine.start_task(
        engine.reproducer.reproduce_logged(cmd.submission_id), f"reproduce-{cmd.submission_id}"
    )
    seeds = len(engine.reproducer.seeds)
    return CommandResult.pending(
        f"reproducing submission {cmd.submission_id} over {seeds} seeds in fresh sandboxes;"
        " the verdict comes as a reproduction event"
    )


def _set_budget(engine: Engine, cmd: SetBudget) -> CommandResult:
    changes = {limit: value for limit in LIMITS if (value := cmd.limit(limit)) is not None}
    if not changes:
        return CommandResult.refused("set at least one limit")
    for limit, value in changes.items():
        engine.config.set_limit(limit, value)
    if MINUTES in changes and engine.started_at is not None:
        engine.deadline = engine.started_at + changes[MINUTES] * 60
    engine.publish_budgets()
    return CommandResult.applied(
        "budgets updated: " + ", ".join(f"{k.name}={v}" for k, v in changes.items())
    )


async def record_command(engine: Engine, cmd: Command, result: CommandResult) -> CommandResult:
    body = cmd.model_dump(mode="json")
    async with engine.store.write() as db:
        cur = await db.execute(
            "INSERT INTO commands (ts, issued_by, command, status, reason) VALUES (?,?,?,?,?)",
            (now(), cmd.issued_by, cmd.model_dump_json(), result.status, result.reason),
        )
        command_id = cur.lastrowid or 0
    agent_id = getattr(cmd, "agent_id", None)
    engine.events.append(
        agent_id if agent_id in engine.agents else None,
        CommandPayload(
            command_id=command_id,
            command=body,
            issued_by=cmd.issued_by,
            status=result.status,
            reason=result.reason,
        ),
    )
    return result.model_copy(update={"command_id": command_id})

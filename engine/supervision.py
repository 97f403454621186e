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
    budget = engine.config.budget
    changes: dict[str, float | int] = {
        k: v
        for k, v in {
            "experiments_per_agent": cmd.experiments_per_agent,
            "tokens_per_agent": cmd.tokens_per_agent,
            "cost_usd": cmd.cost_usd,
            "cost_usd_per_agent": cmd.cost_usd_per_agent,
            "tokens": cmd.tokens,
            "experiments": cmd.experiments,
            "minutes_per_agent": cmd.minutes_per_agent,
            "gpu_hours": cmd.gpu_hours,
            "gpu_hours_per_agent": cmd.gpu_hours_per_agent,
            "minutes": cmd.minutes,
        }.items()
        if v is not None
    }
    if cmd.submissions_per_hour is not None:
        changes["submissions_per_hour"] = cmd.submissions_per_hour
    if not changes:
        return CommandResult.refused("set at least one limit")
    # The config object is shared by every part, so a change is seen at once everywhere.
    for key, value in changes.items():
        target = engine.config.scoring if key == "submissions_per_hour" else budget
        setattr(target, key, value)
    if cmd.minutes is not None and engine.started_at is not None:
        engine.deadline = engine.started_at + cmd.minutes * 60
    engine.publish_budgets()
    return CommandResult.applied(
        "budgets updated: " + ", ".join(f"{k}={v}" for k, v in changes.items())
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

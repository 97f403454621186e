"""Resuming a run after its engine stopped, a crash or `kill -9` included.

Everything a client was told is in the store (events are delivered only after commit),
so the run comes back from it: the snapshot by replaying the event log, the agents with
their brains' last saved state, the forum, submissions, experiments and the limits as
last set. What was cut off is closed honestly: a tool call or experiment that was in
flight is recorded as interrupted. Sandboxes that survived are reattached (Docker, or a
local one whose state is still there); the others are made afresh over the same
workspace. New events continue after the last committed `seq`, so none is reused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from engine.config import RunConfig, default_runs_dir
from engine.errors import ResumeError
from engine.eventlog import EventLog
from engine.events import (
    AgentState,
    ErrorPayload,
    ExperimentFinishedPayload,
    RunState,
    ToolResultPayload,
)
from engine.isolation import refuse_unisolated
from engine.runtime import BrainFactory, Engine, PreparedTask, RestoredAgent, prepare_task
from engine.store import Store

if TYPE_CHECKING:
    from sandbox import Sandbox

log = logging.getLogger("engine.resume")

INTERRUPTED = "interrupted: the engine stopped while this ran, so it did not finish"
# Stop reasons of an agent that the end of the run stopped, not the supervisor or itself.
_RUN_ENDED = ("the run is finishing", "the run ended")
REPLAY_BATCH = 5000


def find_run_dir(target: str | Path) -> Path:
    """A run directory from its path or its name under the default runs directory."""
    path = Path(target).expanduser()
    candidates = [path] if path.is_absolute() or path.exists() else []
    candidates.append(default_runs_dir() / str(target))
    for candidate in candidates:
        if (candidate / "store.sqlite").is_file():
            return candidate.resolve()
    raise ResumeError(
        f"no run at {target}: give a run directory (it holds store.sqlite) or the name of a"
        f" run in {default_runs_dir()} (see aar runs)"
    )


def _resumable(info_state: AgentState, reason: str) -> bool:
    if not info_state.is_terminal and info_state != AgentState.STOPPING:
        return True
    return info_state == AgentState.STOPPED and reason in _RUN_ENDED


async def resume_engine(
    target: str | Path,
    *,
    brain_factory: BrainFactory | None = None,
    keep_sandboxes: bool = False,
) -> Engine:
    """Open the run in `target` (a run directory or a run's name) ready for `Engine.run`."""
    run_dir = find_run_dir(target)
    from engine.api.files import read_info

    info = read_info(run_dir)
    if info is not None and info.alive():
        raise ResumeError(
            f"the run in {run_dir} is running (engine pid {info.pid}): attach to it"
            f" (aar attach {run_dir}) instead of resuming it"
        )
    store = await Store.open(run_dir / "store.sqlite")
    try:
        row = await store.fetchone("SELECT id, config FROM runs ORDER BY created LIMIT 1")
        if row is None:
            raise ResumeError(f"the store in {run_dir} holds no run: it cannot be resumed")
        run_id, config_json = row
        config = RunConfig.model_validate_json(config_json)
        config = config.model_copy(update={"run_dir": run_dir})
        refuse_unisolated(config)
        task_row = await store.fetchone("SELECT value FROM meta WHERE key = 'task'")
    except BaseException:
        await store.close()
        raise
    if task_row is not None:
        task = PreparedTask.from_json(task_row[0])
    else:  # a run from before the task was kept in the store: w2s has it cached
        import asyncio

        task = await asyncio.to_thread(prepare_task, config, run_dir)
    events = EventLog(store)
    await events.start()
    engine = Engine(
        config,
        run_id=run_id,
        run_dir=run_dir,
        store=store,
        events=events,
        task=task,
        brain_factory=brain_factory,
        keep_sandboxes=keep_sandboxes,
    )
    await _replay(engine)
    await _close_interrupted(engine)
    engine.restored = await _restore_agents(engine)
    log.info(
        "resumed run %s at seq %d with %d agent(s)",
        run_id,
        events.committed_seq,
        len(engine.restored),
    )
    return engine


async def _replay(engine: Engine) -> None:
    after = 0
    while True:
        batch = await engine.events.read(after, limit=REPLAY_BATCH)
        if not batch:
            break
        engine.projection.apply_all(batch)
        after = batch[-1].seq
    run = engine.projection.run
    engine.started_at = run.started_at
    engine.private_revealed = run.private_revealed
    if run.state != RunState.FINISHED:
        engine.unexpected_stop = True
        engine.events.append(
            None,
            ErrorPayload(
                message=f"the engine stopped unexpectedly after seq {after}; the run is resumed",
                where="engine",
            ),
        )


async def _close_interrupted(engine: Engine) -> None:
    """Record as interrupted every tool call with no result and every unfinished experiment."""
    calls = await engine.store.fetchall(
        "SELECT agent_id, json_extract(payload, '$.call_id'), json_extract(payload, '$.tool')"
        " FROM events WHERE kind = 'tool_call' AND json_extract(payload, '$.call_id') NOT IN"
        " (SELECT json_extract(payload, '$.call_id') FROM events WHERE kind = 'tool_result')"
        " ORDER BY seq"
    )
    for agent_id, call_id, tool in calls:
        engine.events.append(
            agent_id,
            ToolResultPayload(call_id=call_id, tool=tool, ok=False, output="", error=INTERRUPTED),
        )
    running = await engine.store.fetchall(
        "SELECT id, digest, agent_id FROM experiments WHERE status = 'running'"
    )
    if running:
        async with engine.store.write() as db:
            await db.execute(
                "UPDATE experiments SET status = 'failed', error = ? WHERE status = 'running'",
                (INTERRUPTED,),
            )
    for experiment_id, digest, agent_id in running:
        engine.events.append(
            agent_id,
            ExperimentFinishedPayload(
                experiment_id=experiment_id, digest=digest, ok=False, error=INTERRUPTED
            ),
        )


async def _surviving_sandboxes(engine: Engine) -> dict[str, Sandbox]:
    import sandbox

    boxes = []
    for options in engine.sandbox_places():
        try:
            boxes += await sandbox.reattach(engine.config.sandbox.backend, engine.run_id, **options)
        except Exception as exc:  # none to reattach there: its agents get fresh ones
            log.warning("could not look for the run's sandboxes: %s", exc)
    found: dict[str, Sandbox] = {}
    for box in boxes:
        try:
            state = await box.status()
        except Exception:
            state = "removed"
        if state.startswith("running") or state.startswith("paused"):
            found[box.spec.agent_id] = box
        else:  # stopped or half gone: make it afresh over the same workspace
            try:
                await box.remove()
            except Exception as exc:
                log.warning("could not remove sandbox %s: %s", box.id, exc)
    return found


async def _restore_agents(engine: Engine) -> list[RestoredAgent]:
    saved = {
        row[0]: row[1:]
        for row in await engine.store.fetchall(
            "SELECT agent_id, brain, state, steps, active_seconds, gpu_seconds FROM agent_state"
        )
    }
    boxes = await _surviving_sandboxes(engine)
    restored = []
    infos = sorted(engine.projection.agents.values(), key=lambda a: int(a.id[1:]))
    engine._spawned = max((int(a.id[1:]) for a in infos), default=0)
    for info in infos:
        if not _resumable(info.state, info.state_reason):
            continue
        brain, state, steps, active, gpu = saved.get(
            info.id, (info.brain, None, info.counters.steps, 0.0, 0.0)
        )
        if brain != info.brain:
            state = None
        holds = {h.reason: h.detail for h in info.holds if h.ended is None}
        # Held when the run ended (even cleanly): it comes back held, for the same reasons.
        paused = info.state in (AgentState.PAUSED, AgentState.PAUSING) or bool(holds)
        box = boxes.pop(info.id, None)
        if box is not None and (await box.status()).startswith("paused"):
            # A paused agent comes back soft-paused: its sandbox thawed, so it can stop.
            await box.resume()
        restored.append(
            RestoredAgent(
                agent_id=info.id,
                direction=info.direction,
                brain=info.brain,
                paused=paused,
                steps=max(steps, info.counters.steps),
                brain_state=state,
                sandbox=box,
                active_seconds=active,
                gpu_seconds=gpu,
                pause_reason=info.state_reason,
                holds=holds,
            )
        )
    for box in boxes.values():  # sandboxes of agents that ended: not needed any more
        try:
            await box.remove()
        except Exception as exc:
            log.warning("could not remove sandbox %s: %s", box.id, exc)
    return restored

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

import asyncio
import logging
from pathlib import Path

from engine.config import default_runs_dir
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
from engine.projection import Projection
from engine.run.records import RunRecords
from engine.run.sandboxes import RunSandboxes, remove
from engine.run.swarm import BrainFactory, RestoredAgent
from engine.run.task import prepare_task
from engine.runtime import Engine, assemble
from engine.store import Store
from engine.view import RunInfo

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
        run_id, config = await RunRecords.first_run(store, run_dir)
        config = config.model_copy(update={"run_dir": run_dir})
        refuse_unisolated(config)
        task = await RunRecords(store, run_id).task()
    except BaseException:
        await store.close()
        raise
    if task is None:  # a run from before the task was kept in the store: w2s has it cached
        task = await asyncio.to_thread(prepare_task, config, run_dir)
    engine = await assemble(
        config,
        run_id=run_id,
        run_dir=run_dir,
        store=store,
        task=task,
        brain_factory=brain_factory,
        keep_sandboxes=keep_sandboxes,
    )
    run = await _replay(engine.events, engine.projection)
    engine.lifetime.resumed_from(run.started_at)
    engine.unexpected_stop = run.state != RunState.FINISHED
    await _close_interrupted(engine.records, engine.events)
    restored = await _restore_agents(engine.records, engine.projection, engine.sandboxes)
    spawned = max((int(a.id[1:]) for a in engine.projection.agents.values()), default=0)
    engine.swarm.restore(restored, numbered=spawned)
    log.info(
        "resumed run %s at seq %d with %d agent(s)",
        run_id,
        engine.events.committed_seq,
        len(restored),
    )
    return engine


async def _replay(events: EventLog, projection: Projection) -> RunInfo:
    """The snapshot as the log left it; a run that did not finish is said to have stopped."""
    after = 0
    while True:
        batch = await events.read(after, limit=REPLAY_BATCH)
        if not batch:
            break
        projection.apply_all(batch)
        after = batch[-1].seq
    run = projection.run
    if run.state != RunState.FINISHED:
        events.append(
            None,
            ErrorPayload(
                message=f"the engine stopped unexpectedly after seq {after}; the run is resumed",
                where="engine",
            ),
        )
    return run


async def _close_interrupted(records: RunRecords, events: EventLog) -> None:
    """Record as interrupted every tool call with no result and every unfinished experiment."""
    for call in await records.open_tool_calls():
        events.append(
            call.agent_id,
            ToolResultPayload(
                call_id=call.call_id, tool=call.tool, ok=False, output="", error=INTERRUPTED
            ),
        )
    for cut in await records.fail_running_experiments(INTERRUPTED):
        events.append(
            cut.agent_id,
            ExperimentFinishedPayload(
                experiment_id=cut.experiment_id, digest=cut.digest, ok=False, error=INTERRUPTED
            ),
        )


async def _restore_agents(
    records: RunRecords, projection: Projection, sandboxes: RunSandboxes
) -> list[RestoredAgent]:
    saved = await records.saved_agents()
    boxes = await sandboxes.surviving()
    restored = []
    for info in sorted(projection.agents.values(), key=lambda a: int(a.id[1:])):
        if not _resumable(info.state, info.state_reason):
            continue
        last = saved.get(info.id)
        state = last.state if last is not None and last.brain == info.brain else None
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
                steps=max(last.steps if last else info.counters.steps, info.counters.steps),
                brain_state=state,
                sandbox=box,
                active_seconds=last.active_seconds if last else 0.0,
                gpu_seconds=last.gpu_seconds if last else 0.0,
                pause_reason=info.state_reason,
                holds=holds,
            )
        )
    for box in boxes.values():  # sandboxes of agents that ended: not needed any more
        await remove(box)
    return restored

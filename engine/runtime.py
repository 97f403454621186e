"""The engine: one run of a swarm, from task preparation to the final leaderboard.

`Engine.open(config)` prepares a new run and `engine.resume.resume_engine` opens one that
stopped; both build the engine with `assemble`, the one place its rooms are put together
(`engine/run/`: the swarm, the run's records, its lifetime, its sandboxes; the forum, the
scorer, the budget guard, the supervisor). `run()` starts the swarm, samples sandbox
stats, ends the run at its deadline or on `FinishRun`, and returns once every agent has
stopped. `view()` is the `EngineView` clients use; `command()` goes to the supervisor.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from engine import enginelog
from engine.agent import Agent
from engine.brains import make_brain, preflight
from engine.budgets import BudgetGuard
from engine.cleanroom import CleanRoom, test_rows
from engine.commands import Command, CommandResult
from engine.config import RunConfig, default_runs_dir
from engine.eventlog import EventLog
from engine.events import RunState, RunStatePayload
from engine.forum import Forum
from engine.isolation import refuse_unisolated
from engine.limits import MINUTES
from engine.localview import LocalView
from engine.process import tune_gc
from engine.projection import Projection
from engine.registry import Registry
from engine.reproduce import Reproducer
from engine.run.lifetime import RunLifetime
from engine.run.names import run_name
from engine.run.records import RunRecords
from engine.run.sandboxes import RunSandboxes
from engine.run.swarm import BrainFactory, SharedServices, Swarm
from engine.run.task import PreparedTask, prepare_task
from engine.scoring import Scorer
from engine.snapshots import SnapshotStore
from engine.store import Store
from engine.supervision import Supervisor
from engine.view import Budgets, RunInfo
from engine.watch import Watch

log = logging.getLogger("engine")


def _cache_dir() -> Path | None:
    try:
        from w2s.cache import default_cache_dir

        return Path(default_cache_dir())
    except Exception:  # the watch then covers the run directory and host places only
        return None


class Engine:
    def __init__(
        self,
        config: RunConfig,
        *,
        run_id: str,
        run_dir: Path,
        store: Store,
        events: EventLog,
        task: PreparedTask,
        brain_factory: BrainFactory | None = None,
        keep_sandboxes: bool = False,
    ) -> None:
        self.config = config
        self.run_id = run_id
        self.run_dir = run_dir
        self.store = store
        self.events = events
        self.task = task
        self.forum = Forum(store, events)
        self.registry = Registry(store, events)
        self.scorer = Scorer(store, events, task.hidden_dir, config.scoring)
        self.projection = Projection(
            RunInfo(
                run_id=run_id,
                name=run_id,
                task=config.task,
                task_id=task.task_id,
                state=RunState.STARTING,
                brain=config.agents.brain,
                sandbox_backend=config.sandbox.backend,
                run_dir=str(run_dir),
                baselines=task.baselines,
            ),
            self._budgets(),
        )
        events.on_commit.append(self.projection.apply_all)
        self.records = RunRecords(store, run_id)
        self.lifetime = RunLifetime()
        self.unexpected_stop = False  # the engine before this one ended without finishing
        agents: dict[str, Agent] = {}
        self.budget_guard = BudgetGuard(
            config,
            self.projection,
            agents,
            events,
            elapsed_minutes=self.lifetime.elapsed_minutes,
            run_minutes=self.lifetime.run_minutes,
        )
        events.on_commit.append(self.budget_guard.on_commit)
        self.watch = Watch(events, run_dir, _cache_dir())
        events.on_commit.append(self.watch.on_commit)
        self._log_handler = enginelog.attach(run_dir)
        self.sandboxes = RunSandboxes(config, run_id, run_dir, task, self.records)
        self.clean = CleanRoom(
            backend=config.sandbox.backend,
            run_dir=run_dir,
            agent_spec=self.sandboxes.spec,
            test_rows=test_rows(task.hidden_dir),
        )
        self.snapshots = SnapshotStore(
            run_dir / "snapshots", int(config.reproduction.snapshot_mb * (1 << 20))
        )
        self.reproducer = Reproducer(
            store,
            self.clean,
            self.snapshots,
            task.hidden_dir,
            config.reproduction,
            events,
            score_step=config.scoring.step,
        )
        self.swarm = Swarm(
            config,
            task,
            events=events,
            projection=self.projection,
            lifetime=self.lifetime,
            records=self.records,
            sandboxes=self.sandboxes,
            services=SharedServices(
                self.forum, self.registry, self.scorer, self.clean, self.snapshots, self.watch
            ),
            agents=agents,
            agent_time=self.budget_guard,
            brain_factory=brain_factory
            or (
                lambda name, direction, seed: make_brain(
                    name, direction=direction, seed=seed, model=config.agents.model
                )
            ),
            keep_sandboxes=keep_sandboxes,
        )
        self.supervisor = Supervisor(
            config,
            swarm=self.swarm,
            lifetime=self.lifetime,
            forum=self.forum,
            scorer=self.scorer,
            reproducer=self.reproducer,
            guard=self.budget_guard,
            publish_budgets=self.publish_budgets,
            records=self.records,
            events=events,
            projection=self.projection,
        )

    # ---- lifecycle -------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        config: RunConfig,
        *,
        brain_factory: BrainFactory | None = None,
        prepare: Callable[[RunConfig, Path], PreparedTask] = prepare_task,
        keep_sandboxes: bool = False,
    ) -> Engine:
        """A new run: its directory, its prepared task and its first records."""
        refuse_unisolated(config)
        if brain_factory is None:
            preflight(config.agents.brain)
        tune_gc()
        run_id = run_name(config)
        run_dir = Path(config.run_dir or default_runs_dir() / run_id).expanduser().resolve()
        run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(run_dir, 0o700)
        (run_dir / "workspaces").mkdir(exist_ok=True)
        task = await asyncio.to_thread(prepare, config, run_dir)
        store = await Store.open(run_dir / "store.sqlite")
        await RunRecords(store, run_id).create(config, task)
        return await assemble(
            config,
            run_id=run_id,
            run_dir=run_dir,
            store=store,
            task=task,
            brain_factory=brain_factory,
            keep_sandboxes=keep_sandboxes,
        )

    async def close(self) -> None:
        await self.events.close()
        await self.store.close()
        enginelog.detach(self._log_handler)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def view(self) -> LocalView:
        return LocalView(
            projection=self.projection,
            events=self.events,
            forum=self.forum,
            registry=self.registry,
            command=self.supervisor.command,
            elapsed_minutes=self.lifetime.elapsed_minutes,
        )

    # ---- running ---------------------------------------------------------------------

    async def run(self, minutes: float | None = None) -> None:
        """Run until the deadline, `FinishRun`, or every agent has ended."""
        minutes = minutes if minutes is not None else self.config.limit(MINUTES)
        self.lifetime.begin(minutes)
        log.info("run %s in %s: running until %s", self.run_id, self.run_dir, self.deadline)
        self.events.append(
            None,
            RunStatePayload(
                state=RunState.RUNNING,
                reason="resumed" if self.swarm.restored else "started",
                deadline=self.deadline,
                task_id=self.task.task_id,
                baselines=self.task.baselines,
            ),
        )
        async with self.lifetime.tasks():
            self.swarm.start()
            sampler = self.lifetime.start_task(self.swarm.sample_stats(), name="sandbox-stats")
            guard = self.lifetime.start_task(self.budget_guard.watch(), name="budget-guard")
            await self.lifetime.until_finished(self.swarm.all_ended)
            reason = self.lifetime.reason
            self.events.append(None, RunStatePayload(state=RunState.FINISHING, reason=reason))
            await self.swarm.stop_all("the run is finishing")
            sampler.cancel()
            guard.cancel()
        await self.swarm.clear_sandboxes()
        self.events.append(
            None, RunStatePayload(state=RunState.FINISHED, reason=self.lifetime.reason)
        )
        await self.events.flush()
        log.info("run %s finished: %s", self.run_id, self.lifetime.reason)

    def finish(self, reason: str) -> None:
        self.lifetime.finish(reason)

    @property
    def running(self) -> bool:
        return self.lifetime.running

    @property
    def agents(self) -> Mapping[str, Agent]:
        return self.swarm.agents

    @property
    def started_at(self) -> float | None:
        return self.lifetime.started_at

    @property
    def deadline(self) -> float | None:
        return self.lifetime.deadline

    def elapsed_minutes(self) -> float:
        return self.lifetime.elapsed_minutes()

    # ---- budgets and commands ---------------------------------------------------------

    def _budgets(self) -> Budgets:
        return Budgets.model_validate(self.config.limits().model_dump())

    def publish_budgets(self) -> None:
        self.budget_guard.publish(limits_changed=True)

    async def command(self, cmd: Command) -> CommandResult:
        return await self.supervisor.command(cmd)


async def assemble(
    config: RunConfig,
    *,
    run_id: str,
    run_dir: Path,
    store: Store,
    task: PreparedTask,
    brain_factory: BrainFactory | None,
    keep_sandboxes: bool,
) -> Engine:
    """The engine of a run whose store is open, new or resumed: its log started, its
    rooms built (the one place they are)."""
    events = EventLog(store)
    await events.start()
    return Engine(
        config,
        run_id=run_id,
        run_dir=run_dir,
        store=store,
        events=events,
        task=task,
        brain_factory=brain_factory,
        keep_sandboxes=keep_sandboxes,
    )

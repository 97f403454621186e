"""The engine: one run of a swarm, from task preparation to the final leaderboard.

`Engine.open(config)` opens the store and prepares the task (cached by w2s); `run()`
starts the agents (one asyncio task each, all owned by one TaskGroup), samples sandbox
stats, ends the run at its deadline or on `FinishRun`, and returns once every agent has
stopped. `view()` is the `EngineView` clients use; `command()` applies a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import enginelog
from engine.agent import Agent
from engine.brain import Brain
from engine.brains import make_brain, preflight
from engine.budgets import BUDGET_WORDS, BudgetGuard
from engine.cleanroom import CleanRoom, test_rows
from engine.commands import Command, CommandResult, SetBudget
from engine.config import RunConfig, default_runs_dir
from engine.directions import directions_for
from engine.eventlog import EventLog
from engine.events import (
    AgentAddedPayload,
    BudgetPayload,
    HoldReason,
    RunState,
    RunStatePayload,
    SandboxStatsPayload,
    now,
)
from engine.forum import Forum
from engine.isolation import refuse_unisolated, sandbox_limits
from engine.process import tune_gc
from engine.projection import Projection
from engine.registry import Registry
from engine.reproduce import Reproducer
from engine.scoring import Scorer
from engine.snapshots import SnapshotStore
from engine.store import Store, dumps
from engine.tools.env import ToolEnv
from engine.tools.toolbox import Toolbox
from engine.view import Budgets, RunInfo
from engine.watch import Watch

if TYPE_CHECKING:
    from engine.localview import LocalView
    from sandbox import Sandbox, SandboxSpec

STATS_EVERY = 10.0

log = logging.getLogger("engine")

BrainFactory = Callable[[str, str, int], Brain]  # (brain name, direction, seed) -> Brain


@dataclass(frozen=True)
class PreparedTask:
    task_id: str
    bundle_dir: Path
    hidden_dir: Path
    baselines: dict[str, Any]  # public-half figures only: they are shown to every client
    method_defaults: dict[str, Any]
    # Hub id -> its folder in the Hugging Face cache, mounted under /models in each sandbox.
    models: dict[str, Path] = field(default_factory=dict)

    def to_json(self) -> str:
        return dumps(
            {
                "task_id": self.task_id,
                "bundle_dir": str(self.bundle_dir),
                "hidden_dir": str(self.hidden_dir),
                "baselines": self.baselines,
                "method_defaults": self.method_defaults,
                "models": {k: str(v) for k, v in self.models.items()},
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PreparedTask:
        d = json.loads(text)
        return cls(
            task_id=d["task_id"],
            bundle_dir=Path(d["bundle_dir"]),
            hidden_dir=Path(d["hidden_dir"]),
            baselines=d["baselines"],
            method_defaults=d["method_defaults"],
            models={k: Path(v) for k, v in d.get("models", {}).items()},
        )


@dataclass(frozen=True)
class RestoredAgent:
    """An agent of a resumed run, as the store left it."""

    agent_id: str
    direction: str
    brain: str
    paused: bool
    steps: int
    brain_state: bytes | None
    sandbox: Sandbox | None
    active_seconds: float = 0.0
    gpu_seconds: float = 0.0
    pause_reason: str = ""
    holds: dict[HoldReason, str] = field(default_factory=dict)  # what held it, with details


def prepare_task(config: RunConfig, run_dir: Path) -> PreparedTask:
    """Splits, weak supervisor, baselines, bundle and hidden labels; cached by w2s (blocking)."""
    from engine import models
    from w2s.prepare import prepare
    from w2s.tasks import get_task

    # Before any work: a missing model or GPU, or one too small, is named in one line.
    found = models.resolve(config)
    # No data seed from us: w2s draws a secret one, so an agent that imports w2s in its
    # sandbox cannot rebuild the labels.
    prepared = prepare(config.task, run_dir, data=config.data, step=config.scoring.step)
    task = get_task(config.task)
    hidden = prepared.baselines
    return PreparedTask(
        task_id=prepared.task_id,
        bundle_dir=Path(prepared.bundle_dir),
        hidden_dir=Path(prepared.hidden_dir),
        baselines={
            "weak_public": hidden["weak"]["public"],
            "ceiling_public": hidden["ceiling"]["public"],
            "seeds": hidden.get("seeds"),
        },
        method_defaults=dict(task.method_defaults),
        models=found,
    )


def agent_sandbox_spec(
    config: RunConfig, run_id: str, run_dir: Path, task: PreparedTask, agent_id: str
) -> SandboxSpec:
    """An agent's sandbox: its workspace, the bundle, limits, and its share of the
    configured GPUs and Docker hosts (round robin by agent number)."""
    from engine.models import SANDBOX_ENV, sandbox_mounts
    from sandbox import SandboxSpec

    sb = config.sandbox
    workspace = run_dir / "workspaces" / agent_id
    index = int(agent_id[1:]) - 1
    docker_host = sb.docker_hosts[index % len(sb.docker_hosts)] if sb.docker_hosts else None
    if sb.backend != "docker" or docker_host is None or docker_host.startswith("unix://"):
        workspace.mkdir(parents=True, exist_ok=True)  # a remote host keeps it in a volume
    limits = sandbox_limits(config)
    return SandboxSpec(
        run_id=run_id,
        agent_id=agent_id,
        workspace=workspace,
        mounts={"/bundle": task.bundle_dir, **sandbox_mounts(task.models)},
        env=dict(SANDBOX_ENV) if task.models else {},
        cpus=limits.cpus,
        memory_mb=limits.memory_mb,
        pids=limits.pids,
        gpus=(sb.gpus[index % len(sb.gpus)],) if sb.gpus else (),
        network=sb.network,
        image=sb.image,
        docker_host=docker_host,
    )


def _cache_dir() -> Path | None:
    try:
        from w2s.cache import default_cache_dir

        return Path(default_cache_dir())
    except Exception:  # the watch then covers the run directory and host places only
        return None


# Words that make a default run name easy to say and to tell apart from its neighbours.
_WORDS = (
    "amber",
    "birch",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "heron",
    "iris",
    "juniper",
    "kestrel",
    "lark",
    "maple",
    "nova",
    "otter",
    "pine",
    "quartz",
    "raven",
    "sage",
    "tern",
    "umber",
    "vale",
    "willow",
    "yarrow",
    "zephyr",
    "aspen",
    "brook",
    "coral",
    "dune",
    "elm",
)


def run_name(config: RunConfig) -> str:
    """The run's name: the config's, or a readable one such as `toy-nov27-1012-heron-3fa1c2`.

    Sandboxes, their cgroups and containers are named after the run machine-wide, while
    runs started elsewhere (another runs directory, another user's suite) cannot be seen
    from here: the random tail keeps two runs started in the same minute apart.
    """
    if config.name:
        return config.name
    task = re.sub(r"[^a-z0-9]+", "-", config.task.lower()).strip("-")[:16] or "run"
    stamp = time.strftime("%b%d-%H%M").lower()
    taken = default_runs_dir()
    while True:
        name = f"{task}-{stamp}-{secrets.choice(_WORDS)}-{secrets.token_hex(3)}"
        if not (taken / name).exists():
            return name


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
        self.agents: dict[str, Agent] = {}
        self._brain_factory = brain_factory or (
            lambda name, direction, seed: make_brain(
                name, direction=direction, seed=seed, model=config.agents.model
            )
        )
        self._tg: asyncio.TaskGroup | None = None
        self._finish = asyncio.Event()
        self._finish_reason = ""
        self.started_at: float | None = None
        self.deadline: float | None = None
        self.private_revealed = False
        self._spawned = 0
        # --keep-sandboxes: leave each agent's sandbox in place when the run ends.
        self.keep_sandboxes = keep_sandboxes
        self.restored: list[RestoredAgent] = []  # set by engine.resume before run()
        self.unexpected_stop = False  # the engine before this one ended without finishing
        self.budget_guard = BudgetGuard(self)
        events.on_commit.append(self.budget_guard.on_commit)
        self.watch = Watch(events, run_dir, _cache_dir())
        events.on_commit.append(self.watch.on_commit)
        self._log_handler = enginelog.attach(run_dir)
        self.stats_every = STATS_EVERY  # seconds between sandbox samples and attention checks
        self.clean = CleanRoom(
            backend=config.sandbox.backend,
            run_dir=run_dir,
            agent_spec=self.sandbox_spec,
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
        async with store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO runs (id, name, config, created) VALUES (?,?,?,?)",
                (run_id, run_id, config.model_dump_json(), now()),
            )
            # Kept so that a resumed run finds its bundle and labels without preparing again.
            await db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('task', ?)", (task.to_json(),)
            )
        events = EventLog(store)
        await events.start()
        return cls(
            config,
            run_id=run_id,
            run_dir=run_dir,
            store=store,
            events=events,
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
        from engine.localview import LocalView

        return LocalView(self)

    # ---- running ---------------------------------------------------------------------

    async def run(self, minutes: float | None = None) -> None:
        """Run until the deadline, `FinishRun`, or every agent has ended."""
        minutes = minutes if minutes is not None else self.config.budget.minutes
        begun = time.time()
        # A resumed run keeps its first start (for elapsed time) and gets `minutes` more.
        self.started_at = self.started_at or begun
        self.deadline = begun + minutes * 60 if minutes else None
        log.info("run %s in %s: running until %s", self.run_id, self.run_dir, self.deadline)
        self.events.append(
            None,
            RunStatePayload(
                state=RunState.RUNNING,
                reason="resumed" if self.restored else "started",
                deadline=self.deadline,
                task_id=self.task.task_id,
                baselines=self.task.baselines,
            ),
        )
        self.publish_budgets()
        directions = directions_for(self.config.agents.count, self.config.agents.directions)
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            if self.restored:
                for restored in self.restored:
                    self._start_agent(restored)
            else:
                for direction in directions:
                    self.spawn(direction, self.config.agents.brain)
            sampler = tg.create_task(self._sample_stats(), name="sandbox-stats")
            guard = tg.create_task(self.budget_guard.watch(), name="budget-guard")
            await self._until_finished()
            self.events.append(
                None, RunStatePayload(state=RunState.FINISHING, reason=self._finish_reason)
            )
            for agent in list(self.agents.values()):
                await agent.stop("the run is finishing")
            sampler.cancel()
            guard.cancel()
        self._tg = None
        await self._clear_sandboxes()
        self.events.append(
            None, RunStatePayload(state=RunState.FINISHED, reason=self._finish_reason)
        )
        await self.events.flush()
        log.info("run %s finished: %s", self.run_id, self._finish_reason)

    async def _clear_sandboxes(self) -> None:
        """Remove what is left of the run's sandboxes (those of agents that failed to start,
        or of an earlier engine), keeping the agents' own with --keep-sandboxes."""
        import sandbox

        keep = {a.sandbox.id for a in self.agents.values() if a.sandbox is not None}
        keep = keep if self.keep_sandboxes else set()
        removed = 0
        for options in self.sandbox_places():
            try:
                removed += await sandbox.remove_orphans(
                    self.config.sandbox.backend, self.run_id, keep, **options
                )
            except Exception as exc:  # a backend gone away must not fail the run's end
                log.warning("could not remove the run's leftover sandboxes: %s", exc)
        if removed:
            log.info("removed %d leftover sandbox(es)", removed)

    def sandbox_places(self) -> list[dict[str, Any]]:
        """Where the run's sandboxes may be: each configured Docker host, else the default."""
        sb = self.config.sandbox
        if sb.backend == "docker" and sb.docker_hosts:
            return [{"docker_host": host} for host in sb.docker_hosts]
        return [{}]

    async def _until_finished(self) -> None:
        while not self._finish.is_set():
            if self.deadline is not None and time.time() >= self.deadline:
                self._finish_reason = "the time is up"
                return
            if self.agents and all(a.state.is_terminal for a in self.agents.values()):
                self._finish_reason = "every agent has ended"
                return
            timeout = 1.0
            if self.deadline is not None:
                timeout = max(0.01, min(timeout, self.deadline - time.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._finish.wait()

    def finish(self, reason: str) -> None:
        self._finish_reason = reason
        self._finish.set()

    @property
    def running(self) -> bool:
        return self._tg is not None and not self._finish.is_set()

    def start_task(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` beside the agents, owned by the run (cancelled when it ends)."""
        if self._tg is None:
            raise RuntimeError("the run is not running")
        self._tg.create_task(work, name=name)

    def spawn(self, direction: str, brain_name: str | None = None) -> Agent:
        if self._tg is None:
            raise RuntimeError("the run is not running")
        self._spawned += 1
        agent_id = f"a{self._spawned}"
        brain_name = brain_name or self.config.agents.brain
        agent = self._new_agent(agent_id, direction, brain_name)
        brain = agent.brain
        self.events.append(
            agent_id,
            AgentAddedPayload(
                direction=direction,
                brain=brain.name,
                model=brain.model,
                sandbox_backend=self.config.sandbox.backend,
            ),
        )
        self._tg.create_task(agent.run(), name=f"agent-{agent_id}")
        return agent

    def _new_agent(
        self, agent_id: str, direction: str, brain_name: str, sandbox: Sandbox | None = None
    ) -> Agent:
        number = int(agent_id[1:])
        brain = self._brain_factory(brain_name, direction, self.config.seed * 1000 + number)

        async def make_sandbox() -> Sandbox:
            # A sandbox that outlived the engine (reattached on resume) is used once.
            return sandbox if sandbox is not None else await self._make_sandbox(agent_id)

        agent = Agent(
            agent_id,
            direction,
            brain,
            config=self.config,
            events=self.events,
            make_sandbox=make_sandbox,
            make_toolbox=self._make_toolbox,
            deadline=lambda: self.deadline,
            usage=lambda: self._usage(agent_id),
            checkpoint=self._save_brain,
            keep_sandbox=lambda: self.keep_sandboxes,
        )
        self.agents[agent_id] = agent
        return agent

    def _start_agent(self, restored: RestoredAgent) -> Agent:
        """Start an agent of a resumed run where it left off."""
        assert self._tg is not None
        self._spawned = max(self._spawned, int(restored.agent_id[1:]))
        agent = self._new_agent(
            restored.agent_id, restored.direction, restored.brain, restored.sandbox
        )
        agent.steps = restored.steps
        self.budget_guard.active_seconds[agent.id] = restored.active_seconds
        self.budget_guard.gpu_seconds[agent.id] = restored.gpu_seconds
        if restored.brain_state is not None:
            try:
                agent.brain.restore(restored.brain_state)
            except Exception as exc:  # a state from another version: start the brain afresh
                log.warning("agent %s: brain state not restored: %s", agent.id, exc)
        if restored.paused:
            agent._pause = "soft"
            agent.holds = dict(restored.holds)  # as the event log left them
            if not agent.holds and BUDGET_WORDS in restored.pause_reason:
                agent.hold("budget", "budget", restored.pause_reason)  # a run from before holds
        self._tg.create_task(agent.run(), name=f"agent-{agent.id}")
        return agent

    async def _save_brain(self, agent: Agent) -> None:
        state = agent.brain.checkpoint()
        guard = self.budget_guard
        async with self.store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO agent_state (agent_id, brain, state, steps,"
                " active_seconds, gpu_seconds, ts) VALUES (?,?,?,?,?,?,?)",
                (
                    agent.id,
                    agent.brain.name,
                    state,
                    agent.steps,
                    guard.active_seconds.get(agent.id, 0.0),
                    guard.gpu_seconds.get(agent.id, 0.0),
                    now(),
                ),
            )

    def _usage(self, agent_id: str) -> tuple[int, int]:
        info = self.projection.agents.get(agent_id)
        if info is None:
            return 0, 0
        return info.counters.experiments, info.counters.tokens_in + info.counters.tokens_out

    async def _make_sandbox(self, agent_id: str) -> Sandbox:
        import sandbox

        box = await sandbox.create(self.config.sandbox.backend, self.sandbox_spec(agent_id))
        log.info(
            "agent %s: sandbox %s (%s, isolated: %s)", agent_id, box.id, box.backend, box.isolated
        )
        # Kept for the report: results from an unisolated sandbox are marked as such.
        async with self.store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (f"isolation:{agent_id}", "isolated" if box.isolated else "not isolated"),
            )
        return box

    def sandbox_spec(self, agent_id: str) -> SandboxSpec:
        return agent_sandbox_spec(self.config, self.run_id, self.run_dir, self.task, agent_id)

    def _make_toolbox(self, agent: Agent, sandbox: Sandbox) -> Toolbox:
        defaults = self.task.method_defaults

        def normalise(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
            from w2s.methods import parse_method_config
            from w2s.tasks import get_task

            adapters = get_task(self.task.task_id).strong.adapters
            parsed = parse_method_config(config, defaults=defaults, adapters=adapters)
            return parsed.to_dict(), parsed.digest()

        env = ToolEnv(
            agent_id=agent.id,
            sandbox=sandbox,
            events=self.events,
            forum=self.forum,
            registry=self.registry,
            scorer=self.scorer,
            config=self.config,
            leaderboard=self.projection.leaderboard,
            experiments_done=lambda: self._usage(agent.id)[0],
            clean=self.clean,
            snapshots=self.snapshots,
            normalise=normalise,
            watch=self.watch,
        )
        return Toolbox(env)

    async def _sample_stats(self) -> None:
        while True:
            await asyncio.sleep(self.stats_every)
            for agent in list(self.agents.values()):
                agent.check_attention()
                if agent.sandbox is None or agent.state.is_terminal:
                    continue
                try:
                    stats = await agent.sandbox.stats()
                except Exception:
                    continue  # a sandbox going away between two samples is not news
                self.events.append(
                    agent.id,
                    SandboxStatsPayload(
                        cpu_percent=stats.cpu_percent or 0.0,
                        memory_bytes=stats.memory_bytes or 0,
                        pids=stats.pids or 0,
                        gpu=stats.gpu,
                    ),
                )

    # ---- budgets and commands ---------------------------------------------------------

    def _budgets(self) -> Budgets:
        b = self.config.budget
        return Budgets(
            minutes=b.minutes,
            experiments_per_agent=b.experiments_per_agent,
            submissions_per_hour=self.config.scoring.submissions_per_hour,
            tokens_per_agent=b.tokens_per_agent,
            cost_usd=b.cost_usd,
            cost_usd_per_agent=b.cost_usd_per_agent,
            tokens=b.tokens,
            experiments=b.experiments,
            minutes_per_agent=b.minutes_per_agent,
            gpu_hours=b.gpu_hours,
            gpu_hours_per_agent=b.gpu_hours_per_agent,
        )

    def publish_budgets(self) -> None:
        minutes = (
            (self.deadline - self.started_at) / 60 if self.deadline and self.started_at else None
        )
        budgets = self._budgets().model_dump(
            include={
                "experiments_per_agent",
                "submissions_per_hour",
                "tokens_per_agent",
                "cost_usd",
                "cost_usd_per_agent",
                "tokens",
                "experiments",
                "minutes_per_agent",
                "gpu_hours",
                "gpu_hours_per_agent",
            }
        )
        budgets["minutes"] = minutes
        self.events.append(None, BudgetPayload(budgets=budgets))

    async def command(self, cmd: Command) -> CommandResult:
        from engine.supervision import apply_command, record_command

        try:
            result = await apply_command(self, cmd)
            if isinstance(cmd, SetBudget) and result.ok:
                await self._save_config()
                await self.budget_guard.recheck(by=cmd.issued_by)
        except Exception as exc:  # a command must never take the engine down
            log.exception("command %s failed", cmd.command)
            result = CommandResult.refused(f"the command failed: {type(exc).__name__}: {exc}")
        log.info("command %s by %s: %s", cmd.command, cmd.issued_by, result.status)
        return await record_command(self, cmd, result)

    async def _save_config(self) -> None:
        """Keep changed limits in the store, so that a resumed run has them too."""
        async with self.store.write() as db:
            await db.execute(
                "UPDATE runs SET config = ? WHERE id = ?",
                (self.config.model_dump_json(), self.run_id),
            )

    def elapsed_minutes(self) -> float:
        return (time.time() - self.started_at) / 60 if self.started_at else 0.0

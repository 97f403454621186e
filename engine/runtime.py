"""The engine: one run of a swarm, from task preparation to the final leaderboard.

`Engine.open(config)` opens the store and prepares the task (cached by w2s); `run()`
starts the agents (one asyncio task each, all owned by one TaskGroup), samples sandbox
stats, ends the run at its deadline or on `FinishRun`, and returns once every agent has
stopped. `view()` is the `EngineView` clients use; `command()` applies a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.agent import Agent
from engine.brain import Brain
from engine.brains import make_brain, preflight
from engine.commands import Command, CommandResult
from engine.config import RunConfig, default_runs_dir
from engine.directions import directions_for
from engine.eventlog import EventLog
from engine.events import (
    AgentAddedPayload,
    BudgetPayload,
    RunState,
    RunStatePayload,
    SandboxStatsPayload,
    now,
)
from engine.forum import Forum
from engine.process import tune_gc
from engine.projection import Projection
from engine.registry import Registry
from engine.scoring import Scorer
from engine.store import Store
from engine.tools import Toolbox
from engine.tools.env import ToolEnv
from engine.view import Budgets, RunInfo

if TYPE_CHECKING:
    from engine.localview import LocalView
    from sandbox import Sandbox, SandboxSpec

STATS_EVERY = 10.0

BrainFactory = Callable[[str, str, int], Brain]  # (brain name, direction, seed) -> Brain


@dataclass(frozen=True)
class PreparedTask:
    task_id: str
    bundle_dir: Path
    hidden_dir: Path
    baselines: dict[str, Any]  # public-half figures only: they are shown to every client
    method_defaults: dict[str, Any]


def prepare_task(config: RunConfig, run_dir: Path) -> PreparedTask:
    """Splits, weak supervisor, baselines, bundle and hidden labels; cached by w2s (blocking)."""
    from w2s.prepare import prepare
    from w2s.tasks import get_task

    # No data seed from us: w2s draws a secret one, so an agent that imports w2s in its
    # sandbox cannot rebuild the labels.
    prepared = prepare(config.task, run_dir, data=config.data)
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
    )


def _run_name(config: RunConfig) -> str:
    return config.name or time.strftime("run-%Y%m%d-%H%M%S-") + secrets.token_hex(2)


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
        self.stats_every = STATS_EVERY  # seconds between sandbox samples and attention checks

    # ---- lifecycle -------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        config: RunConfig,
        *,
        brain_factory: BrainFactory | None = None,
        prepare: Callable[[RunConfig, Path], PreparedTask] = prepare_task,
    ) -> Engine:
        if brain_factory is None:
            preflight(config.agents.brain)
        tune_gc()
        run_id = _run_name(config)
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
        )

    async def close(self) -> None:
        await self.events.close()
        await self.store.close()

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
        self.started_at = time.time()
        self.deadline = self.started_at + minutes * 60 if minutes else None
        self.events.append(
            None,
            RunStatePayload(
                state=RunState.RUNNING,
                reason="started",
                deadline=self.deadline,
                task_id=self.task.task_id,
                baselines=self.task.baselines,
            ),
        )
        self.publish_budgets()
        directions = directions_for(self.config.agents.count, self.config.agents.directions)
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            for direction in directions:
                self.spawn(direction, self.config.agents.brain)
            sampler = tg.create_task(self._sample_stats(), name="sandbox-stats")
            await self._until_finished()
            self.events.append(
                None, RunStatePayload(state=RunState.FINISHING, reason=self._finish_reason)
            )
            for agent in list(self.agents.values()):
                await agent.stop("the run is finishing")
            sampler.cancel()
        self._tg = None
        self.events.append(
            None, RunStatePayload(state=RunState.FINISHED, reason=self._finish_reason)
        )
        await self.events.flush()

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

    def spawn(self, direction: str, brain_name: str | None = None) -> Agent:
        if self._tg is None:
            raise RuntimeError("the run is not running")
        self._spawned += 1
        agent_id = f"a{self._spawned}"
        brain_name = brain_name or self.config.agents.brain
        brain = self._brain_factory(brain_name, direction, self.config.seed * 1000 + self._spawned)
        agent = Agent(
            agent_id,
            direction,
            brain,
            config=self.config,
            events=self.events,
            make_sandbox=lambda: self._make_sandbox(agent_id),
            make_toolbox=self._make_toolbox,
            deadline=lambda: self.deadline,
            usage=lambda: self._usage(agent_id),
        )
        self.agents[agent_id] = agent
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

    def _usage(self, agent_id: str) -> tuple[int, int]:
        info = self.projection.agents.get(agent_id)
        if info is None:
            return 0, 0
        return info.counters.experiments, info.counters.tokens_in + info.counters.tokens_out

    async def _make_sandbox(self, agent_id: str) -> Sandbox:
        import sandbox

        return await sandbox.create(self.config.sandbox.backend, self.sandbox_spec(agent_id))

    def sandbox_spec(self, agent_id: str) -> SandboxSpec:
        """The agent's sandbox: its workspace, the bundle, limits, and its share of the
        configured GPUs and Docker hosts (round robin by agent number)."""
        from sandbox import SandboxSpec

        sb = self.config.sandbox
        workspace = self.run_dir / "workspaces" / agent_id
        workspace.mkdir(parents=True, exist_ok=True)
        index = int(agent_id[1:]) - 1
        return SandboxSpec(
            run_id=self.run_id,
            agent_id=agent_id,
            workspace=workspace,
            mounts={"/bundle": self.task.bundle_dir},
            env={},
            cpus=sb.cpus,
            memory_mb=sb.memory_mb,
            pids=sb.pids,
            gpus=(sb.gpus[index % len(sb.gpus)],) if sb.gpus else (),
            network=sb.network,
            image=sb.image,
            docker_host=sb.docker_hosts[index % len(sb.docker_hosts)] if sb.docker_hosts else None,
        )

    def _make_toolbox(self, agent: Agent, sandbox: Sandbox) -> Toolbox:
        defaults = self.task.method_defaults

        def normalise(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
            from w2s.methods import parse_method_config

            parsed = parse_method_config(config, defaults=defaults)
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
            normalise=normalise,
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
            }
        )
        budgets["minutes"] = minutes
        self.events.append(None, BudgetPayload(budgets=budgets))

    async def command(self, cmd: Command) -> CommandResult:
        from engine.supervision import apply_command, record_command

        try:
            result = await apply_command(self, cmd)
        except Exception as exc:  # a command must never take the engine down
            result = CommandResult.refused(f"the command failed: {type(exc).__name__}: {exc}")
        return await record_command(self, cmd, result)

    def elapsed_minutes(self) -> float:
        return (time.time() - self.started_at) / 60 if self.started_at else 0.0

"""The swarm: the run's agents, spawned or restored, each with its brain, its sandbox and
its toolbox; their sandboxes sampled now and then; and what is left cleared at the end."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from engine.agent import Agent
from engine.brain import Brain
from engine.budgets import BUDGET_WORDS
from engine.config import RunConfig
from engine.directions import directions_for
from engine.eventlog import EventLog
from engine.events import AgentAddedPayload, HoldReason, SandboxStatsPayload
from engine.projection import Projection
from engine.run.lifetime import RunLifetime
from engine.run.records import RunRecords, SavedAgent
from engine.run.sandboxes import RunSandboxes
from engine.run.task import PreparedTask
from engine.tools.env import ToolEnv
from engine.tools.toolbox import Toolbox

if TYPE_CHECKING:
    from engine.cleanroom import CleanRoom
    from engine.forum import Forum
    from engine.registry import Registry
    from engine.scoring import Scorer
    from engine.snapshots import SnapshotStore
    from engine.watch import Watch
    from sandbox import Sandbox

STATS_EVERY = 10.0

log = logging.getLogger("engine")

BrainFactory = Callable[[str, str, int], Brain]  # (brain name, direction, seed) -> Brain


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


@dataclass(frozen=True)
class SharedServices:
    """What every agent's tools share: the run's forum, registry, scorer and the rest."""

    forum: Forum
    registry: Registry
    scorer: Scorer
    clean: CleanRoom
    snapshots: SnapshotStore
    watch: Watch


class AgentTime(Protocol):
    """Each agent's working and GPU seconds so far, and the look before each step that a
    spent budget holds an agent at (the budget guard is both)."""

    active_seconds: dict[str, float]
    gpu_seconds: dict[str, float]

    async def before_step(self, agent: Agent) -> None: ...


class Swarm:
    def __init__(
        self,
        config: RunConfig,
        task: PreparedTask,
        *,
        events: EventLog,
        projection: Projection,
        lifetime: RunLifetime,
        records: RunRecords,
        sandboxes: RunSandboxes,
        services: SharedServices,
        agents: dict[str, Agent],
        agent_time: AgentTime,
        brain_factory: BrainFactory,
        keep_sandboxes: bool,
    ) -> None:
        self.config = config
        self.task = task
        self.events = events
        self.projection = projection
        self.lifetime = lifetime
        self.records = records
        self.sandboxes = sandboxes
        self.services = services
        self.agent_time = agent_time
        self.brain_factory = brain_factory
        # --keep-sandboxes: leave each agent's sandbox in place when the run ends.
        self.keep_sandboxes = keep_sandboxes
        self.agents = agents  # shared with the budget guard, which reads every agent's state
        self.restored: list[RestoredAgent] = []  # a resumed run's agents, started by start()
        self.stats_every = STATS_EVERY  # seconds between sandbox samples and attention checks
        self._spawned = 0

    # ---- agents ----------------------------------------------------------------------

    def restore(self, agents: list[RestoredAgent], numbered: int) -> None:
        """A resumed run's agents to start where they left off; `numbered` agents were
        spawned before, so the next one spawned gets the next number."""
        self.restored = agents
        self._spawned = numbered

    def start(self) -> None:
        """The run's first agents: those restored, or one per configured direction."""
        if self.restored:
            for restored in self.restored:
                self._start_restored(restored)
            return
        for direction in directions_for(self.config.agents.count, self.config.agents.directions):
            self.spawn(direction, self.config.agents.brain)

    def spawn(self, direction: str, brain_name: str | None = None) -> Agent:
        if not self.lifetime.tasks_open:
            raise RuntimeError("the run is not running")
        self._spawned += 1
        agent_id = f"a{self._spawned}"
        agent = self._new_agent(agent_id, direction, brain_name or self.config.agents.brain)
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
        self.lifetime.start_task(agent.run(), name=f"agent-{agent_id}")
        return agent

    def _new_agent(
        self, agent_id: str, direction: str, brain_name: str, sandbox: Sandbox | None = None
    ) -> Agent:
        number = int(agent_id[1:])
        brain = self.brain_factory(brain_name, direction, self.config.seed * 1000 + number)

        async def make_sandbox() -> Sandbox:
            # A sandbox that outlived the engine (reattached on resume) is used once.
            return sandbox if sandbox is not None else await self.make_sandbox(agent_id)

        agent = Agent(
            agent_id,
            direction,
            brain,
            config=self.config,
            events=self.events,
            make_sandbox=make_sandbox,
            make_toolbox=self.make_toolbox,
            deadline=lambda: self.lifetime.deadline,
            usage=lambda: self.usage(agent_id),
            before_step=self.agent_time.before_step,
            checkpoint=self._save,
            keep_sandbox=lambda: self.keep_sandboxes,
        )
        self.agents[agent_id] = agent
        return agent

    def _start_restored(self, restored: RestoredAgent) -> Agent:
        """Start an agent of a resumed run where it left off."""
        self._spawned = max(self._spawned, int(restored.agent_id[1:]))
        agent = self._new_agent(
            restored.agent_id, restored.direction, restored.brain, restored.sandbox
        )
        agent.steps = restored.steps
        self.agent_time.active_seconds[agent.id] = restored.active_seconds
        self.agent_time.gpu_seconds[agent.id] = restored.gpu_seconds
        if restored.brain_state is not None:
            try:
                agent.brain.restore(restored.brain_state)
            except Exception as exc:  # a state from another version: start the brain afresh
                log.warning("agent %s: brain state not restored: %s", agent.id, exc)
        if restored.paused:
            agent.come_back_held(restored.holds)  # as the event log left them
            if not agent.holds and BUDGET_WORDS in restored.pause_reason:
                agent.holds.add(
                    "budget", "budget", restored.pause_reason
                )  # a run from before holds
        self.lifetime.start_task(agent.run(), name=f"agent-{agent.id}")
        return agent

    def all_ended(self) -> bool:
        return bool(self.agents) and all(a.state.is_terminal for a in self.agents.values())

    async def stop_all(self, reason: str) -> None:
        for agent in list(self.agents.values()):
            await agent.stop(reason)

    async def _save(self, agent: Agent) -> None:
        time = self.agent_time
        await self.records.save_agent(
            agent.id,
            SavedAgent(
                brain=agent.brain.name,
                state=agent.brain.checkpoint(),
                steps=agent.steps,
                active_seconds=time.active_seconds.get(agent.id, 0.0),
                gpu_seconds=time.gpu_seconds.get(agent.id, 0.0),
            ),
        )

    def usage(self, agent_id: str) -> tuple[int, int]:
        """The agent's (experiments, tokens) so far."""
        info = self.projection.agents.get(agent_id)
        if info is None:
            return 0, 0
        return info.counters.experiments, info.counters.tokens_in + info.counters.tokens_out

    # ---- sandboxes and tools -----------------------------------------------------------

    async def make_sandbox(self, agent_id: str) -> Sandbox:
        return await self.sandboxes.create(agent_id)

    def make_toolbox(self, agent: Agent, sandbox: Sandbox) -> Toolbox:
        defaults = self.task.method_defaults
        task_id = self.task.task_id

        def normalise(config: dict[str, Any]) -> tuple[dict[str, Any], str]:
            from w2s.methods import parse_method_config
            from w2s.tasks import get_task

            adapters = get_task(task_id).strong.adapters
            parsed = parse_method_config(config, defaults=defaults, adapters=adapters)
            return parsed.to_dict(), parsed.digest()

        shared = self.services
        env = ToolEnv(
            agent_id=agent.id,
            sandbox=sandbox,
            events=self.events,
            forum=shared.forum,
            registry=shared.registry,
            scorer=shared.scorer,
            config=self.config,
            leaderboard=self.projection.leaderboard,
            experiments_done=lambda: self.usage(agent.id)[0],
            clean=shared.clean,
            snapshots=shared.snapshots,
            normalise=normalise,
            watch=shared.watch,
        )
        return Toolbox(env)

    async def sample_stats(self) -> None:
        """Runs for the whole run: each agent's attention looked at, its sandbox sampled."""
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

    async def clear_sandboxes(self) -> None:
        """After the run: what is left of its sandboxes goes, keeping the agents' own with
        --keep-sandboxes."""
        keep = {a.sandbox.id for a in self.agents.values() if a.sandbox is not None}
        await self.sandboxes.clear(keep if self.keep_sandboxes else set())

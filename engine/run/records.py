"""The run's own rows in the store: the run and its config, its prepared task, each
agent's saved brain and spend, each sandbox's isolation, the supervisor's commands, and
what a resume finds cut off. The forum, registry, scorer and event log keep their own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.commands import Command, CommandResult
from engine.config import RunConfig
from engine.errors import ResumeError
from engine.events import now
from engine.run.task import PreparedTask
from engine.store import Store


@dataclass(frozen=True)
class SavedAgent:
    """What an agent's last step left in the store for a resume."""

    brain: str
    state: bytes | None
    steps: int
    active_seconds: float
    gpu_seconds: float


@dataclass(frozen=True)
class OpenToolCall:
    agent_id: str | None
    call_id: str
    tool: str


@dataclass(frozen=True)
class CutExperiment:
    experiment_id: int
    digest: str
    agent_id: str | None


class RunRecords:
    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    # ---- the run ---------------------------------------------------------------------

    async def create(self, config: RunConfig, task: PreparedTask) -> None:
        async with self.store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO runs (id, name, config, created) VALUES (?,?,?,?)",
                (self.run_id, self.run_id, config.model_dump_json(), now()),
            )
            # Kept so that a resumed run finds its bundle and labels without preparing again.
            await db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('task', ?)", (task.to_json(),)
            )

    @staticmethod
    async def first_run(store: Store, run_dir: Path) -> tuple[str, RunConfig]:
        """The run a store holds, with its config as last saved."""
        row = await store.fetchone("SELECT id, config FROM runs ORDER BY created LIMIT 1")
        if row is None:
            raise ResumeError(f"the store in {run_dir} holds no run: it cannot be resumed")
        run_id, config_json = row
        return run_id, RunConfig.model_validate_json(config_json)

    async def task(self) -> PreparedTask | None:
        """The prepared task, or None for a run from before it was kept in the store."""
        row = await self.store.fetchone("SELECT value FROM meta WHERE key = 'task'")
        return PreparedTask.from_json(row[0]) if row is not None else None

    async def save_config(self, config: RunConfig) -> None:
        """Keep changed limits in the store, so that a resumed run has them too."""
        async with self.store.write() as db:
            await db.execute(
                "UPDATE runs SET config = ? WHERE id = ?", (config.model_dump_json(), self.run_id)
            )

    # ---- agents and their sandboxes ---------------------------------------------------

    async def save_agent(self, agent_id: str, saved: SavedAgent) -> None:
        async with self.store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO agent_state (agent_id, brain, state, steps,"
                " active_seconds, gpu_seconds, ts) VALUES (?,?,?,?,?,?,?)",
                (
                    agent_id,
                    saved.brain,
                    saved.state,
                    saved.steps,
                    saved.active_seconds,
                    saved.gpu_seconds,
                    now(),
                ),
            )

    async def saved_agents(self) -> dict[str, SavedAgent]:
        rows = await self.store.fetchall(
            "SELECT agent_id, brain, state, steps, active_seconds, gpu_seconds FROM agent_state"
        )
        return {row[0]: SavedAgent(*row[1:]) for row in rows}

    async def record_isolation(self, agent_id: str, isolated: bool) -> None:
        # Kept for the report: results from an unisolated sandbox are marked as such.
        async with self.store.write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (f"isolation:{agent_id}", "isolated" if isolated else "not isolated"),
            )

    # ---- the supervisor's commands ------------------------------------------------------

    async def record_command(self, cmd: Command, result: CommandResult) -> int:
        """The command, who gave it and what became of it; its id."""
        async with self.store.write() as db:
            cur = await db.execute(
                "INSERT INTO commands (ts, issued_by, command, status, reason) VALUES (?,?,?,?,?)",
                (now(), cmd.issued_by, cmd.model_dump_json(), result.status, result.reason),
            )
            return cur.lastrowid or 0

    # ---- what a stopped engine left cut off ------------------------------------------

    async def open_tool_calls(self) -> list[OpenToolCall]:
        """Every tool call with no result, in order."""
        rows = await self.store.fetchall(
            "SELECT agent_id, json_extract(payload, '$.call_id'), json_extract(payload, '$.tool')"
            " FROM events WHERE kind = 'tool_call' AND json_extract(payload, '$.call_id') NOT IN"
            " (SELECT json_extract(payload, '$.call_id') FROM events WHERE kind = 'tool_result')"
            " ORDER BY seq"
        )
        return [OpenToolCall(*row) for row in rows]

    async def fail_running_experiments(self, error: str) -> list[CutExperiment]:
        """Mark every experiment still running as failed with `error`; those it marked."""
        rows = await self.store.fetchall(
            "SELECT id, digest, agent_id FROM experiments WHERE status = 'running'"
        )
        if rows:
            async with self.store.write() as db:
                await db.execute(
                    "UPDATE experiments SET status = 'failed', error = ? WHERE status = 'running'",
                    (error,),
                )
        return [CutExperiment(*row) for row in rows]

"""Commands through the API on a running engine: seen by every client, with who gave them."""

from __future__ import annotations

import asyncio

from engine.client import RemoteView, client_identity
from engine.commands import Pause, Resume, SetBudget, Spawn, VoidSubmission
from tests.api.conftest import client, raw_http
from tests.engine.harness import running, until


async def test_a_pause_shows_pausing_at_once_then_paused_to_another_client(serve):
    async with (
        serve() as (engine, api),
        running(engine),
        client(api) as supervisor,
        client(api) as watcher,
    ):
        seen: list[tuple[str, str]] = []
        start = (await watcher.snapshot()).seq

        async def watch() -> None:
            async for event in watcher.events(start):
                if event.agent_id == "a1" and event.kind in ("agent_state", "command"):
                    seen.append(
                        (event.kind, getattr(event.payload, "state", "") or event.payload.issued_by)
                    )
                    kinds = {k for k, _ in seen}
                    if ("agent_state", "paused") in seen and "command" in kinds:
                        return

        follower = asyncio.create_task(watch())
        result = await supervisor.command(Pause(agent_id="a1"))
        assert result.status in ("pending", "applied") and result.command_id > 0
        await asyncio.wait_for(follower, 20)
        states = [s for k, s in seen if k == "agent_state"]
        assert states[-2:] == ["pausing", "paused"]
        assert ("command", client_identity()) in seen
        agent = await watcher.agent("a1")
        assert agent.state == "paused"
        resumed = await supervisor.command(Resume(agent_id="a1"))
        assert resumed.ok
        await until(lambda: engine.agents["a1"].state.value == "running", what="resume")


async def test_refused_and_applied_commands_come_back_as_results(serve):
    async with (
        serve() as (engine, api),
        running(engine),
        client(api, issued_by="ctl:tester@laptop") as view,
    ):
        refused = await view.command(Pause(agent_id="a9"))
        assert refused.status == "refused" and "a9" in refused.reason
        void = await view.command(VoidSubmission(submission_id=10**12, reason="probing"))
        assert void.status == "refused"
        budget = await view.command(SetBudget(submissions_per_hour=5))
        assert budget.ok
        spawned = await view.command(Spawn(direction="try product loss", brain="scripted"))
        assert spawned.ok
        await until(
            lambda: "a3" in engine.agents and engine.agents["a3"].state.value != "starting",
            what="a3 to start",
        )
        await engine.events.flush()
        snap = await view.snapshot()
        assert snap.budgets.submissions_per_hour == 5
        assert {a.id for a in snap.agents} == {"a1", "a2", "a3"}
        rows = await engine.store.fetchall("SELECT issued_by FROM commands")
        assert {r[0] for r in rows} == {"ctl:tester@laptop"}


async def test_a_command_that_names_no_one_is_recorded_with_where_it_came_from(serve):
    async with serve() as (engine, api):
        async with raw_http(api) as http:
            response = await http.post("/v1/commands", json={"command": "pause", "agent_id": "a1"})
            assert response.status_code == 409  # the run has not started: no agent a1
        async with RemoteView(api.token, base_url=api.url) as view:
            await view.command(Resume(agent_id="a1", issued_by="cron"))
        rows = await engine.store.fetchall("SELECT issued_by FROM commands ORDER BY id")
        assert [r[0] for r in rows] == ["api:unix-socket", "cron"]

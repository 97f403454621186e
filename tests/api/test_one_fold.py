"""One event log reads the same everywhere: the engine's projection, `LocalView`, a
`RemoteView` over the real API, `aar ctl`, and the app's leaderboard, live and attached late.

The log holds what makes ranking hard: a watched agent (its submissions flagged `watch`,
still ranked), an `adaptive` and an `unverified` flag (ranked), a void and a failed
reproduction (unranked, and the best PGR falls back), and submissions the scorer released
nothing for (probing, degenerate, and one the Ladder did not release: counted, not listed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass

import pytest

from aar_tui.app import AarApp
from aar_tui.look import fmt_pgr
from aar_tui.widgets.leaderboard.table import BoardTable
from engine.events import (
    AgentAddedPayload,
    AgentState,
    AgentStatePayload,
    ErrorPayload,
    ExperimentFinishedPayload,
    Payload,
    Reproduced,
    ReproductionPayload,
    RunState,
    RunStatePayload,
    Score,
    SubmissionPayload,
    SubmissionVoidedPayload,
    ToolCallPayload,
    UsagePayload,
    WatchFlagPayload,
)
from engine.view import AgentInfo, EngineView, LeaderboardEntry
from tests.api.conftest import client
from tests.tui.conftest import NO_KEYMAP
from tests.tui.screen_text import screen_text

pytestmark = pytest.mark.slow


def _sub(sid: int, pgr: float | None, *flags: str, scored: bool = True) -> SubmissionPayload:
    public = None if pgr is None else Score(accuracy=0.7 + pgr / 10, pgr=pgr, n=500)
    return SubmissionPayload(
        submission_id=sid,
        method=f"method {sid}",
        predictions_digest=f"p{sid}",
        public=public,
        flags=flags,
        scored=scored,
    )


def _step(step: int, ok: bool = True) -> list[Payload]:
    return [
        ToolCallPayload(call_id=f"c{step}", tool="run_experiment", input={}, step=step),
        UsagePayload(tokens_in=100 * step, tokens_out=10 * step, cost_usd=0.01 * step),
        ExperimentFinishedPayload(experiment_id=step, digest=f"d{step}", ok=ok),
    ]


AGENTS = ("a1", "a2", "a3")
# Before any client attaches: in the snapshot they load.
EARLIER: list[tuple[str | None, Payload]] = [
    (None, RunStatePayload(state=RunState.RUNNING, baselines={"weak": 0.6, "ceiling": 0.9})),
    *[
        (
            a,
            AgentAddedPayload(
                direction=f"direction of {a}", brain="scripted", sandbox_backend="local"
            ),
        )
        for a in AGENTS
    ],
    *[(a, AgentStatePayload(state=AgentState.RUNNING)) for a in AGENTS],
    *[("a1", p) for p in _step(1)],
    ("a1", _sub(1, 0.40, "unverified")),
    ("a2", _sub(2, 0.70)),  # the best until it is voided
    ("a3", _sub(3, None, "degenerate")),
    ("a3", _sub(4, None, "probing", scored=False)),
    ("a1", _sub(5, None)),  # the Ladder released nothing new
    *[("a2", p) for p in _step(2, ok=False)],
]
# After the clients attached: they follow these live.
LATER: list[tuple[str | None, Payload]] = [
    ("a2", _sub(6, 0.60, "adaptive")),
    ("a2", WatchFlagPayload(call_id="c6", tool="submit", what="adaptive", detail="small blocks")),
    ("a2", _sub(7, 0.62)),  # flagged `watch` by the engine as it comes in, and ranked
    (None, SubmissionVoidedPayload(submission_id=2, reason="a leak", by="supervisor")),
    (
        None,
        ReproductionPayload(
            submission_id=1,
            reproduced=Reproduced(
                status="irreproducible", seeds=(42, 43), flags=("irreproducible",)
            ),
        ),
    ),
    *[("a3", p) for p in _step(3)],
    ("a3", _sub(8, 0.30)),
    ("a3", ErrorPayload(message="a tool failed")),
    *[("a1", p) for p in _step(4, ok=False)],  # a failed experiment counts as one run
    ("a1", AgentStatePayload(state=AgentState.PAUSED)),
]


@dataclass(frozen=True)
class Reading:
    """What one place shows of the run."""

    ranking: list[tuple[int, int | None]]  # (submission, rank) in the order shown
    best: float | None
    counters: dict[str, tuple[object, ...]]


def _counters(agents: list[AgentInfo]) -> dict[str, tuple[object, ...]]:
    return {
        a.id: (
            str(a.state),
            a.counters.experiments,
            a.counters.submissions,
            a.counters.tokens_in + a.counters.tokens_out,
            round(a.counters.cost_usd, 6),
            a.best_public_pgr,
        )
        for a in agents
    }


def _ranking(entries: list[LeaderboardEntry]) -> list[tuple[int, int | None]]:
    return [(e.submission_id, e.rank) for e in entries]


def _best(entries: list[LeaderboardEntry]) -> float | None:
    return max(
        (e.public.pgr for e in entries if e.rank is not None and e.public.pgr is not None),
        default=None,
    )


async def _view_reading(view: EngineView) -> Reading:
    snap = await view.snapshot()
    board = await view.leaderboard()
    assert _ranking(list(snap.leaderboard)) == _ranking(board)
    return Reading(_ranking(board), _best(board), _counters(list(snap.agents)))


def _app_reading(app: AarApp) -> Reading:
    table = app.screen.query_one(BoardTable)
    ranking = []
    for i in range(table.row_count):
        rank, sub = (str(cell).strip() for cell in table.get_row_at(i)[:2])
        ranking.append((int(sub.lstrip("#")), int(rank) if rank.isdigit() else None))
    m = app.model
    counters: dict[str, tuple[object, ...]] = {
        r.id: (r.state, r.experiments, r.submissions, r.tokens, round(r.cost, 6), r.best_pgr)
        for r in m.agents.values()
    }
    return Reading(ranking, m.best_pgr, counters)


async def _ctl(run_dir: str, *args: str, code: int = 0) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aar_tui", "ctl", "--run", run_dir, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=dict(os.environ),
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == code, out.decode()
    return out.decode()


async def _ctl_reading(run_dir: str) -> tuple[Reading, str]:
    board = [
        LeaderboardEntry.model_validate(e)
        for e in json.loads(await _ctl(run_dir, "leaderboard", "--json"))
    ]
    agents = [
        AgentInfo.model_validate(a) for a in json.loads(await _ctl(run_dir, "agents", "--json"))
    ]
    status = await _ctl(run_dir, "status")
    best_line = next(line for line in status.splitlines() if line.startswith("best PGR"))
    unknown = await _ctl(run_dir, "show", "a9", code=3)  # the view has no agent(): it says so
    assert "there is no agent 'a9' (agents: a1, a2, a3)" in unknown
    text = await _ctl(run_dir, "leaderboard")
    # The text's RANK column, row by row, is the JSON's ranking.
    ranks = [line.split()[:2] for line in text.splitlines()[1:]]
    assert [(int(s), None if r in ("-", "void") else int(r)) for r, s in ranks] == _ranking(board)
    return Reading(_ranking(board), _best(board), _counters(agents)), best_line


async def _until(what: str, check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def _app(view: EngineView) -> AarApp:
    return AarApp(view, theme_dirs=(), keymap_path=NO_KEYMAP)


async def test_one_log_shows_the_same_ranking_best_pgr_and_counters_everywhere(serve):
    async with serve() as (engine, api):
        for agent_id, payload in EARLIER:
            engine.events.append(agent_id, payload)
        await engine.events.flush()
        remote, live_view = client(api), client(api)
        live = _app(live_view)
        async with remote, live_view, live.run_test(size=(200, 50)) as pilot:
            snap = await remote.snapshot()
            follower = asyncio.create_task(_drain(remote, snap.seq))
            await asyncio.wait_for(live.loaded.wait(), 30)
            await pilot.press("3")  # the leaderboard
            for agent_id, payload in LATER:
                engine.events.append(agent_id, payload)
            last = await engine.events.flush()
            await _until("the app to apply the log", lambda: live.model.seq >= last)
            await _until(
                "the client's fold", lambda: (remote.projection and remote.projection.seq) == last
            )
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

            fold = engine.projection
            board = fold.leaderboard()
            engine_reading = Reading(
                _ranking(board), fold.best_public_pgr(), _counters(list(fold.agents.values()))
            )
            # What the log says, so that agreeing on something wrong fails too.
            assert engine_reading.ranking == [(7, 1), (6, 2), (8, 3), (1, None), (2, None)]
            assert engine_reading.best == 0.62
            assert [
                f for e in board if e.submission_id in (6, 7) for f in e.flags if f == "watch"
            ] == ["watch"] * 2
            assert {a: c[-1] for a, c in engine_reading.counters.items()} == {
                "a1": None,
                "a2": 0.62,
                "a3": 0.30,
            }

            client_fold = remote.projection
            assert client_fold is not None
            readings = {
                "LocalView": await _view_reading(engine.view()),
                "RemoteView (API)": await _view_reading(remote),
                "RemoteView (its fold)": Reading(
                    _ranking(client_fold.leaderboard()),
                    client_fold.best_public_pgr(),
                    _counters(list(client_fold.agents.values())),
                ),
            }
            await pilot.pause()
            # Its board redraws on the frame after the model applies the batch; a board that
            # never agrees is reported by the comparison below, with what it shows.
            with contextlib.suppress(AssertionError):
                await _until(
                    "the live app's board",
                    lambda: _app_reading(live).ranking == engine_reading.ranking,
                    30,
                )
            readings["app, live"] = _app_reading(live)
            assert f"best PGR {fmt_pgr(0.62)}" in screen_text(live)

            readings["aar ctl"], best_line = await _ctl_reading(str(engine.run_dir))
            assert best_line.split()[2] == "0.620"

        late = _app(engine.view())  # attached after it all: the snapshot alone
        async with late.run_test(size=(200, 50)) as pilot:
            await asyncio.wait_for(late.loaded.wait(), 30)
            await pilot.press("3")
            await _until(
                "the late app's board",
                lambda: late.screen.query(BoardTable) and _app_reading(late).ranking,
                30,
            )
            readings["app, attached late"] = _app_reading(late)

        wrong = {where: r for where, r in readings.items() if r != engine_reading}
        assert not wrong, f"the engine: {engine_reading}; disagreeing: {wrong}"


async def _drain(view: EngineView, after: int) -> None:
    async for _event in view.events(after):
        pass

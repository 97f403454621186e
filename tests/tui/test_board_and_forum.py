"""The leaderboard opens a submission in full, the forum list has its columns, and a key
finds the next agent needing attention."""

from __future__ import annotations

import json

from textual.widgets import Markdown

from engine.events import (
    AgentAttentionPayload,
    Reproduced,
    ReproductionPayload,
    Score,
    SubmissionPayload,
)
from engine.view import ExperimentRecord
from tests.tui.conftest import make_app, settle, wait_until
from tests.tui.fake_view import NOW, FakeView
from tests.tui.screen_text import screen_text

CONFIG = {"method": "confident", "loss": "logconf", "lr": 0.0003, "fraction": 0.47}
# A config whose fields run past what the table shows of a method.
LONG = CONFIG | {"batch_size": 32, "ensemble": 1, "epochs": 3, "labels": "soft", "seed": 0}


def _submit(view: FakeView, sub_id: int, config: dict, digest: str) -> None:
    view.emit(
        "a2",
        SubmissionPayload(
            submission_id=sub_id,
            method=json.dumps(config),
            predictions_digest=f"p{sub_id}",
            public=Score(accuracy=0.9, pgr=0.6 + sub_id / 100, n=500),
            experiment_digest=digest,
        ),
    )


async def test_enter_opens_a_submission_with_its_config_diagnostics_and_forum_post() -> None:
    view = FakeView()
    view.records = [
        ExperimentRecord(
            id=16,
            digest="d16",
            config=CONFIG,
            agent_id="a2",
            status="finished",
            diagnostics={"agreement_with_weak_labels": 0.61},
            duration=3.8,
            ts=NOW,
        )
    ]
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        _submit(view, 20, CONFIG, "d16")
        await pilot.press("3")
        await wait_until(pilot, "the submission", lambda: "#20" in screen_text(app))
        # A verdict without the flag that would unrank it, so #20 stays the top row.
        verdict = Reproduced(
            status="irreproducible",
            seeds=(0, 1, 2, 3, 4),
            public_pgr_mean=0.41,
            public_pgr_sd=0.02,
            message="claimed public accuracy 0.900, reproduced 0.850",
        )
        view.emit(None, ReproductionPayload(submission_id=20, reproduced=verdict))
        await wait_until(pilot, "the verdict", lambda: app.model.submissions[20].reproduced)
        await pilot.press("enter")  # the top row: #20, the best
        await wait_until(
            pilot, "its diagnostics", lambda: "agreement_with_weak_labels" in screen_text(app)
        )
        assert "Submission #20 by a2" in screen_text(app)
        page = app.screen.query_one(Markdown).source  # the whole page, past the screen too
        assert '"fraction": 0.47' in page
        assert "experiment #16, finished, 3.8 s" in page
        assert "**irreproducible** over seeds 0, 1, 2, 3, 4" in page
        assert "claimed public accuracy 0.900, reproduced 0.850" in page
        assert "No post links to this submission." in page
        await pilot.press("escape", "down", "enter")  # #1, next in rank, has a post
        await wait_until(pilot, "the post", lambda: "Submission #1 by a1" in screen_text(app))
        page = app.screen.query_one(Markdown).source
        assert "### Forum: logconf lr 1e-3: PGR 0.41" in page
        assert "Reproduction" not in page  # none recorded: no section


async def test_rows_that_read_the_same_say_how_they_differ() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        _submit(view, 20, LONG, "d16")
        _submit(view, 21, LONG | {"seed": 3}, "d17")
        _submit(view, 22, LONG, "d16")
        await pilot.press("3")
        await wait_until(pilot, "the rows", lambda: "#22" in screen_text(app))
        rows = {line.split()[1]: line for line in screen_text(app).splitlines() if "#2" in line}
        assert "vs #22: seed 3" in rows["#21"]  # ranked by PGR: #22 comes first
        assert "same method as #22" in rows["#20"]


async def test_forum_list_has_kind_and_author_columns_and_cuts_titles_at_the_edge() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert any(line.lstrip().startswith("kind       author     title") for line in lines)
        assert any("note       supervisor Try the" in line for line in lines)
        insight = next(line for line in lines if "insight    a2" in line)
        assert "insight    a2         reweight" in insight  # the kind whole, the title cut
        assert "reweighting by weak confidence helps" not in insight


async def test_a_key_jumps_to_the_next_agent_needing_attention_with_the_reason_shown() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        view.emit("a2", AgentAttentionPayload(needs_attention=True, reason="error_streak"))
        await wait_until(pilot, "the reason", lambda: "! error streak" in screen_text(app))
        await pilot.press("a")
        assert app.screen.target_agent() == "a2"  # type: ignore[attr-defined]
        await pilot.press("a")
        assert app.screen.target_agent() == "a4"  # type: ignore[attr-defined]
        assert "! stuck" in screen_text(app)
        await pilot.press("a")
        assert app.screen.target_agent() == "a2"  # type: ignore[attr-defined]

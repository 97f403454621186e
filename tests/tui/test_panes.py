"""Pane lines in words a person scans, and the swarm's picture kept true by what happens."""

from __future__ import annotations

from engine.events import (
    AgentStatePayload,
    CommandPayload,
    ExperimentFinishedPayload,
    ExperimentStartedPayload,
)
from tests.tui.conftest import make_app, settle, wait_until
from tests.tui.fake_view import FakeView
from tests.tui.screen_text import screen_text

# A method config as the engine sends it: every field, most at their defaults.
FULL = {
    "method": "vanilla",
    "loss": "xent",
    "labels": "soft",
    "lr": 0.001,
    "epochs": 3,
    "batch_size": 32,
    "weight_decay": 0.0,
    "seed": 0,
    "ensemble": 1,
}


def _experiment(view: FakeView, exp_id: int, config: dict, agreement: float, secs: float) -> None:
    view.emit(
        "a1", ExperimentStartedPayload(experiment_id=exp_id, digest=f"d{exp_id}", config=config)
    )
    view.emit(
        "a1",
        ExperimentFinishedPayload(
            experiment_id=exp_id,
            digest=f"d{exp_id}",
            ok=True,
            diagnostics={"agreement_with_weak_labels": agreement, "seconds": secs, "rows": 900},
            duration=secs,
        ),
    )


def _pane_lines(app, agent_id: str = "a1") -> list[str]:  # type: ignore[no-untyped-def]
    return [text for _kind, text in app.model.activity[agent_id].lines]


async def test_an_experiment_reads_as_what_changed_and_what_came_of_it() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        _experiment(view, 9, FULL, 0.58, 2.1)
        _experiment(view, 16, FULL | {"method": "confident", "fraction": 0.47}, 0.61, 3.8)
        await wait_until(pilot, "the second experiment", lambda: "exp #16" in str(_pane_lines(app)))
        lines = _pane_lines(app)
        # #7 came before, with two fields set: a new start is counted, not listed.
        assert (
            "✓ exp #9 vanilla, loss xent, lr 0.001 (from #7: 8 fields differ)"
            " → agreement 0.58, 2.1 s"
        ) in lines
        assert (
            "✓ exp #16 confident, fraction 0.47 (from #9: method was vanilla, +fraction)"
            " → agreement 0.61, 3.8 s"
        ) in lines
        assert not any("batch_size" in line for line in lines)  # not a dump of the config
        await settle(pilot)
        text = screen_text(app)
        assert "exp #16 confident, fraction 0.47" in text  # whole words on the pane's row


async def test_the_full_record_of_an_experiment_is_one_key_away() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        _experiment(view, 9, FULL, 0.58, 2.1)
        await settle(pilot)
        await pilot.press("enter")  # the agent screen
        await wait_until(pilot, "the experiment", lambda: "exp #9" in screen_text(app))
        assert '"batch_size": 32' not in screen_text(app)
        await pilot.press("f")  # unfold every record
        await wait_until(pilot, "the record", lambda: '"batch_size": 32' in screen_text(app))
        assert '"agreement_with_weak_labels": 0.58' in screen_text(app)


async def test_a_redirect_updates_the_direction_shown() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        command = {"command": "redirect", "agent_id": "a1", "text": "try product loss\nand say why"}
        view.emit(
            "a1", CommandPayload(command_id=1, command=command, issued_by="you", status="applied")
        )
        await wait_until(pilot, "the new direction", lambda: "try product loss" in screen_text(app))
        assert app.model.agents["a1"].direction == "try product loss"
        await wait_until(pilot, "the table", lambda: "logconf, small lr" not in screen_text(app))


async def test_a_hard_pause_that_cut_an_experiment_says_so_in_the_agent_view() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view.emit("a1", ExperimentStartedPayload(experiment_id=12, digest="d12", config=FULL))
        view.emit("a1", AgentStatePayload(state="paused", previous="running", reason="hard pause"))  # type: ignore[arg-type]
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, "the cut", lambda: "cut short" in screen_text(app))
        cut = (
            "exp #12 cut short by the hard pause, not recorded:"
            " vanilla, loss xent, lr 0.001 (from #7: 8 fields differ)"
        )
        assert app.model.agents["a1"].cut == cut
        assert "✗ " + cut in _pane_lines(app)
        assert "exp #12 cut short (paused)" in screen_text(app)  # the transcript's record of it
        view.emit("a1", AgentStatePayload(state="running", previous="paused"))  # type: ignore[arg-type]
        await wait_until(pilot, "the cut cleared", lambda: not app.model.agents["a1"].cut)

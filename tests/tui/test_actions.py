"""Every key and palette entry reaches the EngineView with the right command, and the
screen shows what follows: a pause at once, a refusal with its reason."""

from __future__ import annotations

import pytest

from aar_tui.app import AarApp
from aar_tui.modals.budget_fields import BudgetField, budget_fields
from engine.commands import (
    Broadcast,
    CommandResult,
    FinishRun,
    Pause,
    PauseAll,
    Redirect,
    Reproduce,
    Resume,
    ResumeAll,
    RevealPrivate,
    SetBudget,
    Spawn,
    Stop,
    VoidSubmission,
)
from engine.events import AgentStatePayload
from engine.limits import LIMITS
from tests.tui.conftest import commands_done, make_app, settle, wait_until
from tests.tui.fake_view import FakeView
from tests.tui.screen_text import screen_text


async def _run(
    keys: list[str], view: FakeView | None = None, size: tuple[int, int] = (120, 40)
) -> tuple[AarApp, FakeView, str]:
    view = view or FakeView()
    app = make_app(view)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        for key in keys:
            if key.startswith("type:"):
                await pilot.press(*key.removeprefix("type:"))
            else:
                await pilot.press(key)
            await pilot.pause()
        await commands_done(app)
        await settle(pilot)
        text = screen_text(app)
    return app, view, text


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["p"], Pause(agent_id="a1")),
        (["down", "P"], Pause(agent_id="a2", hard=True)),
        (["down", "down", "r"], Resume(agent_id="a3")),
        (["i", "type:try product", "ctrl+s"], Redirect(agent_id="a1", text="try product")),
        (["x", "y"], Stop(agent_id="a1")),
        (
            ["n", "type:simplicity bias", "enter"],
            Spawn(direction="simplicity bias", brain="offline"),
        ),
        (["b", "type:share code", "ctrl+s"], Broadcast(text="share code")),
        (["z"], PauseAll()),
        (["Z"], ResumeAll()),
        (["dollar_sign", "type:45", "enter"], SetBudget(minutes=45)),
        (["ctrl+r", "y"], RevealPrivate()),
        (["F", "y"], FinishRun()),
        (
            ["3", "down", "down", "v", "type:all ones", "enter"],
            VoidSubmission(submission_id=3, reason="all ones"),
        ),
        (["3", "down", "p"], Reproduce(submission_id=2)),
        (["3", "ctrl+r", "y"], RevealPrivate()),
        (["enter", "p"], Pause(agent_id="a1")),
        (["enter", "i", "type:stop", "ctrl+s"], Redirect(agent_id="a1", text="stop")),
    ],
)
async def test_key_sends_the_command(keys: list[str], expected: object) -> None:
    _, view, _ = await _run(keys)
    assert view.commands == [expected]


@pytest.mark.parametrize(
    "keys", [["x", "n"], ["i", "escape"], ["F", "escape"], ["i", "ctrl+s", "escape"]]
)
async def test_cancelled_dialog_sends_nothing(keys: list[str]) -> None:
    _, view, _ = await _run(keys)
    assert view.commands == []


async def test_pause_shows_pausing_at_once_then_paused_when_it_lands() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await commands_done(app)
        await wait_until(
            pilot,
            "pausing on screen",
            lambda: "◐ pausing" in screen_text(app).splitlines()[2],
            timeout=1,
        )
        view.emit("a1", AgentStatePayload(state="paused", previous="pausing"))  # type: ignore[arg-type]
        await wait_until(
            pilot,
            "paused on screen",
            lambda: "‖ paused" in screen_text(app).splitlines()[2],
            timeout=2,
        )


async def test_refused_command_says_why() -> None:
    view = FakeView()
    view.answers["resume"] = CommandResult.refused("a1 is not paused")
    _, _, text = await _run(["r"], view)
    assert "a1 is not paused" in text


async def test_palette_runs_a_named_action() -> None:
    _, view, _ = await _run(["ctrl+p", "type:pause all", "enter"])
    assert view.commands == [PauseAll()]


async def test_palette_offers_the_selected_agents_actions() -> None:
    _, view, _ = await _run(["down", "ctrl+p", "type:hard pause", "enter"])
    assert view.commands == [Pause(agent_id="a2", hard=True)]


async def test_budget_dialog_names_a_bad_figure() -> None:
    _, view, text = await _run(["dollar_sign", "type:lots", "enter"])
    assert view.commands == []
    assert "'lots' is not a number" in text


def test_budget_dialog_offers_every_limit_of_the_record() -> None:
    offered = [f.name for f in budget_fields()]
    assert offered == [limit.name for limit in LIMITS]
    assert set(offered) == set(SetBudget.model_fields) - {"command", "issued_by"}


def _budget_keys(name: str, typed: str) -> list[str]:
    """Open the dialog, tab to the field `name`, type, apply."""
    place = [f.name for f in budget_fields()].index(name)
    return ["dollar_sign", *["tab"] * place, f"type:{typed}", "enter"]


@pytest.mark.parametrize("field", budget_fields(), ids=lambda f: f.name)
async def test_budget_dialog_sets_each_limit(field: BudgetField) -> None:
    typed, value = ("3", 3) if field.whole else ("2.5", 2.5)
    _, view, _ = await _run(_budget_keys(field.name, typed))
    assert view.commands == [SetBudget(**{field.name: value})]
    assert type(getattr(view.commands[0], field.name)) is type(value)


async def test_budget_dialog_shows_every_limit_and_its_value_on_a_small_terminal() -> None:
    _, _, text = await _run(["dollar_sign"], size=(80, 24))
    for field in budget_fields():
        assert field.label in text
    assert "now 200,000" in text and "now 5" in text and "no limit" in text


@pytest.mark.parametrize(
    ("name", "typed", "expected"),
    [("tokens", "1e6", 1_000_000), ("tokens_per_agent", "250,000", 250_000)],
)
async def test_budget_dialog_reads_grouped_and_exponent_counts(
    name: str, typed: str, expected: int
) -> None:
    _, view, _ = await _run(_budget_keys(name, typed))
    assert view.commands == [SetBudget(**{name: expected})]


@pytest.mark.parametrize(
    ("name", "typed", "message"),
    [
        ("tokens", "2.5", "tokens (whole run): '2.5' is not a whole number."),
        ("experiments_per_agent", "-1", "experiments per agent: must be 0 or more, not -1."),
        ("minutes_per_agent", "0", "minutes per agent: must be more than 0, not 0."),
        ("gpu_hours", "inf", "GPU hours (whole run): 'inf' is not a finite number."),
        ("cost_usd_per_agent", "$3", "spend per agent, USD: '$3' is not a number."),
    ],
)
async def test_budget_dialog_refuses_a_bad_figure_naming_the_field(
    name: str, typed: str, message: str
) -> None:
    _, view, text = await _run(_budget_keys(name, typed))
    assert view.commands == []
    assert message in text


async def test_help_lists_every_binding_id() -> None:
    _, _, text = await _run(["question_mark"])
    for binding_id in ("aar.agent.pause", "aar.run.spawn", "aar.screen.forum"):
        assert binding_id in text


async def test_forum_search_asks_the_view_and_shows_hits() -> None:
    _, view, text = await _run(["2", "slash", "type:reweighting", "enter"])
    assert view.searches == ["reweighting"]
    assert "1 post(s)" in text
    assert "reweighting by weak confidence" in text


async def test_forum_kind_filter() -> None:
    _, _, text = await _run(["2", "k", "k"])
    assert "kind: result" in text
    assert "1 post(s)" in text


async def test_copy_uses_the_clipboard() -> None:
    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        view.emit("a1", AgentStatePayload(state="running"))  # type: ignore[arg-type]
        from engine.events import CommandOutputPayload

        view.emit("a1", CommandOutputPayload(call_id="c", stream="stdout", line="acc 0.86"))
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == "acc 0.86"


async def test_forum_write_is_a_supervisor_post() -> None:
    view = FakeView()
    await _run(["2", "w", "type:hello", "ctrl+s"], view)
    assert view.commands == []
    assert view.posts == [("hello", "", None)]


async def test_reply_is_a_threaded_supervisor_post() -> None:
    view = FakeView()
    await _run(["2", "e", "type:Agreed", "enter", "type:run five seeds", "ctrl+s"], view)
    assert view.commands == []
    assert view.posts == [("Agreed", "run five seeds", 4)]


async def test_a_refused_post_shows_why() -> None:
    view = FakeView()
    view.refuse_posts = "there is no post 4 to reply to"
    _, _, text = await _run(["2", "e", "type:Agreed", "ctrl+s"], view)
    assert view.posts == []
    assert "there is no post 4" in text


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["type:resume all", "enter"], ResumeAll()),
        (["type:reveal private", "enter", "y"], RevealPrivate()),
        (["type:finish the run", "enter", "y"], FinishRun()),
        (["type:stop", "enter", "y"], Stop(agent_id="a1")),
        (["type:redirect", "enter", "type:go", "ctrl+s"], Redirect(agent_id="a1", text="go")),
        (["type:broadcast", "enter", "type:hi", "ctrl+s"], Broadcast(text="hi")),
    ],
)
async def test_palette_entry_sends_the_command(keys: list[str], expected: object) -> None:
    _, view, _ = await _run(["ctrl+p", *keys])
    assert view.commands == [expected]


async def test_revealed_private_scores_show_with_their_gap() -> None:
    from engine.events import PrivateRevealedPayload, RevealedScore, Score

    view = FakeView()
    app = make_app(view)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert "gap" not in screen_text(app)
        view.emit(
            None,
            PrivateRevealedPayload(
                by="supervisor",
                scores=(
                    RevealedScore(
                        submission_id=1, agent_id="a1", private=Score(accuracy=0.84, pgr=0.3, n=500)
                    ),
                ),
            ),
        )
        await settle(pilot, frames=6)
        text = screen_text(app)
    row = next(line for line in text.splitlines() if "#1 " in line)
    assert "0.412" in row and "0.300" in row and "-0.112" in row
    assert "gap" in text and "private scores shown" in text

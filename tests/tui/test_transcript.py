"""The agent screen's transcript: drawn a screenful at a time at any length, records folded."""

from __future__ import annotations

from aar_tui.widgets.agent.entries import TranscriptLog
from aar_tui.widgets.agent.transcript import Transcript
from tests.tui.conftest import make_app, settle, wait_until
from tests.tui.long_transcript import STEP, LongTranscriptView, long_transcript
from tests.tui.screen_text import screen_text

LONG = 20_000


def test_streamed_text_joins_and_a_call_gathers_its_output() -> None:
    log = TranscriptLog()
    log.add_events(long_transcript("a1", STEP))  # think, answer, run a command, an experiment
    kinds = [e.kind for e in log.entries]
    assert kinds == ["thinking", "text", "record", "record"]
    thinking, answer, call, experiment = log.entries
    assert thinking.full_text() == "The weak labels look noisy; try lr."
    assert answer.full_text() == "Running the next experiment.\n"
    assert call.text == "$ python train.py  ✓ 1.0s"
    assert [line for _style, line in call.body][1:7] == [f"epoch {i} loss 0.{i}1" for i in range(6)]
    assert experiment.text == "✓ exp #0 vanilla, loss xent, lr 0.001 → agreement 0.60, 2.0 s"
    assert call.rows(80) == [("title", "▶ $ python train.py  ✓ 1.0s")]  # folded: its title


async def test_a_long_transcript_draws_only_the_rows_on_screen() -> None:
    view = LongTranscriptView("a1", LONG)
    app = make_app(view)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        transcript = app.screen.query_one(Transcript)
        await wait_until(pilot, "the whole transcript", lambda: transcript.last_seq == LONG, 60)
        await settle(pilot)
        steps = LONG // STEP
        assert transcript.virtual_size.height >= 6 * steps  # every step has its rows
        assert f"exp #{steps - 1} " in screen_text(app)  # the newest step, at the bottom
        drawn: list[int] = []
        draw = transcript.render_line
        transcript.render_line = lambda y: drawn.append(y) or draw(y)  # type: ignore[method-assign]
        transcript.scroll_to(y=transcript.virtual_size.height // 2, animate=False)
        await settle(pilot)
        assert 0 < len(drawn) <= 3 * transcript.size.height  # a screenful, not the transcript
        assert "exp #" in screen_text(app)
        await pilot.press("home")
        await settle(pilot)
        assert "The weak labels look noisy; try lr." in screen_text(app).splitlines()[3]
        assert "exp #0 vanilla" in screen_text(app)


async def test_enter_unfolds_the_selected_record_and_brackets_move_the_selection() -> None:
    view = LongTranscriptView("a1", 2 * STEP)
    app = make_app(view)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        transcript = app.screen.query_one(Transcript)
        await wait_until(pilot, "the transcript", lambda: transcript.last_seq == 2 * STEP)
        await settle(pilot)
        assert '"seed": 1' not in screen_text(app)
        await pilot.press("enter")  # the newest record: experiment #1
        await wait_until(pilot, "its config", lambda: '"seed": 1' in screen_text(app))
        assert '"agreement_with_weak_labels": 0.6' in screen_text(app)
        await pilot.press("left_square_bracket", "enter")  # the command before it
        await wait_until(pilot, "its output", lambda: "epoch 5 loss 0.51" in screen_text(app))
        await pilot.press("t")  # thinking hidden
        await wait_until(pilot, "no thinking", lambda: "look noisy" not in screen_text(app))

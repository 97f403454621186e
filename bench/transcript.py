"""Figures of the agent screen on a long transcript: time to open it, time per scroll step.

    python bench/transcript.py [--events 100000] [--baseline 1000] [--size 120x40]

Opens the agent screen headless on an agent whose transcript has `--events` events (a
busy agent's mix: thinking and answers streamed in deltas, shell commands with output,
experiments) and, in the same run, on one with `--baseline` events. Prints, for each: the
time from the key to the first screen of the transcript and to all of it loaded, then the
time per page-up step (drawn, not animated) scrolling back through it and for the jump
to its start.
A transcript that is drawn a screenful at a time opens and scrolls as fast at any length.
`bench/tui.py --transcript N` prints the same figures after its own.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aar_tui.app import AarApp  # noqa: E402
from aar_tui.widgets.agent.transcript import Transcript  # noqa: E402
from tests.tui.long_transcript import LongTranscriptView  # noqa: E402

SCROLL_STEPS = 40


async def measure(count: int, size: tuple[int, int]) -> dict[str, float]:
    view = LongTranscriptView("a1", count)
    app = AarApp(view, theme_dirs=())
    async with app.run_test(size=size) as pilot:
        await app.loaded.wait()
        await pilot.pause()
        drawn: list[float] = []
        draw = Transcript.render_line

        def noting(widget: Transcript, y: int) -> Any:  # notes when events are first drawn
            if widget.last_seq and not drawn:
                drawn.append(time.perf_counter())
            return draw(widget, y)

        Transcript.render_line = noting  # type: ignore[method-assign]
        start = time.perf_counter()
        await pilot.press("enter")  # the selected agent, a1
        transcript = app.screen.query_one(Transcript)
        while not drawn:
            await asyncio.sleep(0.001)
        first = drawn[0] - start
        Transcript.render_line = draw  # type: ignore[method-assign]
        loading = [w for w in app.workers if w.group == "transcript"]
        if loading:  # an empty list would wait for every worker, the event follower too
            await app.workers.wait_for_complete(loading)
        await pilot.pause()
        loaded = time.perf_counter() - start
        assert transcript.last_seq == count, (transcript.last_seq, count)
        steps = []
        # Unanimated (Textual's scroll animation moves 50 rows a second): the cost of
        # laying out and drawing the next screenful, which is what the length could change.
        for _ in range(SCROLL_STEPS):
            t0 = time.perf_counter()
            transcript.scroll_page_up(animate=False)
            await pilot.pause()
            steps.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        transcript.scroll_home(animate=False)
        await pilot.pause()
        home = time.perf_counter() - t0
    steps.sort()
    return {
        "first": first,
        "loaded": loaded,
        "step_p50": steps[len(steps) // 2],
        "step_max": steps[-1],
        "home": home,
    }


async def report(events: int, baseline: int, size: tuple[int, int]) -> None:
    print(
        f"agent screen at {size[0]}x{size[1]}: a transcript of {events} events, "
        f"beside one of {baseline}"
    )
    print(
        f"{'events':>8} {'first screen':>13} {'all loaded':>11} "
        f"{'pageup p50':>11} {'pageup max':>11} {'home':>8}"
    )
    figures = {}
    for count in (baseline, events):
        f = figures[count] = await measure(count, size)
        print(
            f"{count:>8} {f['first'] * 1000:>11.0f}ms {f['loaded'] * 1000:>9.0f}ms "
            f"{f['step_p50'] * 1000:>9.1f}ms {f['step_max'] * 1000:>9.1f}ms "
            f"{f['home'] * 1000:>6.1f}ms"
        )
    big, small = figures[events], figures[baseline]
    print(
        f"{events // baseline}x the events: first screen x{big['first'] / small['first']:.1f}, "
        f"all loaded x{big['loaded'] / small['loaded']:.1f}, "
        f"pageup x{big['step_p50'] / small['step_p50']:.1f}"
    )


def size_arg(text: str) -> tuple[int, int]:
    width, height = (int(x) for x in text.split("x"))
    return width, height


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--size", type=size_arg, default=(120, 40))
    args = parser.parse_args()
    asyncio.run(report(args.events, args.baseline, args.size))

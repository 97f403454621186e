"""A view whose one agent has a transcript as long as asked, for tests and the benchmark."""

from __future__ import annotations

import bisect
import itertools
from typing import Any

from engine.events import (
    CommandOutputPayload,
    Event,
    ExperimentFinishedPayload,
    ExperimentStartedPayload,
    TextDeltaPayload,
    ThinkingDeltaPayload,
    ToolCallPayload,
    ToolResultPayload,
)
from tests.tui.fake_view import START, FakeView

# Events in one step of `step_payloads`.
STEP = 16


def step_payloads(n: int) -> list[Any]:
    """One step of an agent: think, answer, run a command, run an experiment."""
    call = f"c{n}"
    config = {"method": "vanilla", "loss": "xent", "lr": 0.001 * (1 + n % 3), "seed": n % 5}
    return [
        *(ThinkingDeltaPayload(text=w) for w in ("The weak labels ", "look noisy; ", "try lr.")),
        *(TextDeltaPayload(text=w) for w in ("Running ", "the next ", "experiment.\n")),
        ToolCallPayload(call_id=call, tool="run_command", input={"cmd": "python train.py"}),
        *(
            CommandOutputPayload(call_id=call, stream="stdout", line=f"epoch {i} loss 0.{i}1")
            for i in range(6)
        ),
        ToolResultPayload(call_id=call, tool="run_command", ok=True, output="", duration=1.0),
        ExperimentStartedPayload(experiment_id=n, digest=f"d{n}", config=config),
        ExperimentFinishedPayload(
            experiment_id=n,
            digest=f"d{n}",
            ok=True,
            diagnostics={"agreement_with_weak_labels": 0.6, "seconds": 2.0},
            duration=2.0,
        ),
    ]


def long_transcript(agent_id: str, count: int) -> list[Event]:
    payloads = itertools.chain.from_iterable(step_payloads(n) for n in itertools.count())
    return [
        Event.model_construct(seq=i + 1, ts=START + i / 100, agent_id=agent_id, payload=p)
        for i, p in zip(range(count), payloads, strict=False)
    ]


class LongTranscriptView(FakeView):
    """The test view, with one agent's transcript as long as asked."""

    def __init__(self, agent_id: str, count: int) -> None:
        super().__init__()
        self.long_id = agent_id
        self.long = long_transcript(agent_id, count)
        self.seqs = [e.seq for e in self.long]

    async def transcript(self, agent_id: str, after_seq: int = 0, limit: int = 500) -> list[Event]:
        if agent_id != self.long_id:
            return await super().transcript(agent_id, after_seq, limit)
        start = bisect.bisect_right(self.seqs, after_seq)
        return self.long[start : start + min(limit, 5000)]

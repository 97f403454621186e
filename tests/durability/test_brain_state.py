"""Each brain's state survives a resume: saved after a step, taken back by a fresh brain."""

from __future__ import annotations

from engine.brains.claude import ClaudeBrain
from engine.brains.claude.models import CallUsage
from engine.brains.offline.researcher import OfflineResearcher


def test_a_claude_conversation_comes_back_whole():
    brain = ClaudeBrain(direction="data selection")
    brain.conversation.add_user_text("start on data selection")
    brain.conversation.add_assistant([{"type": "text", "text": "I will read the bundle."}])
    brain.conversation.add_user_text("(operator) focus on logconf")
    brain.cost_usd, brain.calls = 0.42, 7
    brain.total = CallUsage(input_tokens=1200, output_tokens=300, cache_read_tokens=5000)
    fresh = ClaudeBrain(direction="data selection")
    fresh.restore(brain.checkpoint())
    assert fresh.conversation.turns == brain.conversation.turns
    assert (fresh.cost_usd, fresh.calls, fresh.total) == (0.42, 7, brain.total)


def test_the_offline_researcher_picks_up_its_plan_and_knowledge():
    brain = OfflineResearcher(direction="data reweighting", seed=3)
    brain._plan()
    brain.cycles, brain.failures, brain.insights = 4, 1, 2
    fresh = OfflineResearcher(direction="something else", seed=99)
    fresh.restore(brain.checkpoint())
    assert fresh.direction == "data reweighting"
    assert (fresh.cycles, fresh.failures, fresh.insights) == (4, 1, 2)
    assert [a.__name__ for a in fresh.queue] == [a.__name__ for a in brain.queue]
    assert all(a.__self__ is fresh for a in fresh.queue)  # bound to the new brain
    assert fresh.rng.random() == brain.rng.random()  # the same search goes on

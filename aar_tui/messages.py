"""The messages widgets send each other, in one place so the app's flow reads in one file."""

from __future__ import annotations

from textual.message import Message


class AgentHighlighted(Message):
    """The cursor moved to an agent in the swarm table."""

    def __init__(self, agent_id: str) -> None:
        super().__init__()
        self.agent_id = agent_id


class AgentChosen(Message):
    """The user asked to open an agent (Enter on its row or pane)."""

    def __init__(self, agent_id: str) -> None:
        super().__init__()
        self.agent_id = agent_id


class PostChosen(Message):
    """A forum post was chosen in the thread list."""

    def __init__(self, post_id: int) -> None:
        super().__init__()
        self.post_id = post_id


class PaneFocused(Message):
    """A live pane took the focus: the table follows it so actions target that agent."""

    def __init__(self, agent_id: str) -> None:
        super().__init__()
        self.agent_id = agent_id

"""The keys that act on one agent, shared by the swarm screen and the agent screen."""

from __future__ import annotations

from aar_tui.modals.confirm import ConfirmModal
from aar_tui.modals.text import TextModal
from aar_tui.screens.base import RunScreen
from engine.commands import Pause, Redirect, Resume, Stop


class AgentActions(RunScreen):
    """A screen with one agent in view (`target_agent`), and the commands that steer it."""

    def target_agent(self) -> str | None:
        raise NotImplementedError

    def _target(self) -> str | None:
        agent_id = self.target_agent()
        if agent_id is None:
            self.notify("No agent is selected.", severity="warning")
        return agent_id

    def action_pause(self) -> None:
        if agent_id := self._target():
            self.aar.send(Pause(agent_id=agent_id))

    def action_hard_pause(self) -> None:
        if agent_id := self._target():
            self.aar.send(Pause(agent_id=agent_id, hard=True))

    def action_resume(self) -> None:
        if agent_id := self._target():
            self.aar.send(Resume(agent_id=agent_id))

    def action_redirect(self) -> None:
        agent_id = self._target()
        if agent_id is None:
            return
        row = self.model.agents.get(agent_id)
        hint = f"Direction now: {row.direction}" if row else ""

        def sent(text: str | None) -> None:
            if text:
                self.aar.send(Redirect(agent_id=agent_id, text=text))

        self.app.push_screen(
            TextModal(
                f"Redirect {agent_id}",
                hint=hint,
                multiline=True,
                placeholder="A plain-words instruction, read at the agent's next step",
            ),
            sent,
        )

    def action_stop(self) -> None:
        agent_id = self._target()
        if agent_id is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.aar.send(Stop(agent_id=agent_id))

        self.app.push_screen(
            ConfirmModal(
                f"Stop {agent_id} for good?",
                "Its sandbox is stopped; its submissions and posts stay.",
                "Stop",
            ),
            confirmed,
        )

    def action_copy_output(self) -> None:
        if agent_id := self._target():
            buffer = self.model.activity.get(agent_id)
            text = buffer.last_output() if buffer else ""
            if not text:
                self.notify(f"{agent_id} has no output to copy yet.", severity="warning")
                return
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied {len(text.splitlines())} line(s) of {agent_id}'s output.")

"""One agent's conversation with its model: the turns, where the cache breakpoints go, and
how the history shrinks when it nears the context limit.

The history holds user and assistant turns in the API's own block format and always ends
ready for the next call (a user turn last). It holds no `cache_control` marks: those are
laid on a copy for each request, on the last block of the last two user turns, so that
each call reads the previous call's prefix from the cache and writes its own.

Shrinking goes in two stages: first old tool outputs are cut to their head and tail; if
that is not enough, the whole history is replaced by a summary of the research state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EPHEMERAL = {"type": "ephemeral"}
# Tool outputs of the last few turns stay whole; older ones are cut to this many characters.
KEEP_RECENT_TURNS = 6
SHORT_OUTPUT = 600


@dataclass(frozen=True)
class Checkpoint:
    turns: int
    last_blocks: int
    compactions: int


class Conversation:
    def __init__(self) -> None:
        self.turns: list[dict[str, Any]] = []
        # Characters per token, learnt from the API's own counts.
        self.chars_per_token = 3.5
        self.compactions = 0

    # ---- building ------------------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.turns

    def add_user_text(self, text: str) -> None:
        self._user_blocks([{"type": "text", "text": text}])

    def add_tool_results(self, results: list[dict[str, Any]]) -> None:
        self._user_blocks(results)

    def _user_blocks(self, blocks: list[dict[str, Any]]) -> None:
        if self.turns and self.turns[-1]["role"] == "user":
            self.turns[-1]["content"].extend(blocks)
        else:
            self.turns.append({"role": "user", "content": list(blocks)})

    def add_assistant(self, content: list[dict[str, Any]]) -> None:
        # An empty reply still takes its place, so that roles keep alternating.
        self.turns.append(
            {"role": "assistant", "content": content or [{"type": "text", "text": "(no reply)"}]}
        )

    @property
    def awaits_reply(self) -> bool:
        """True when the last turn is the user's, so a call can be made."""
        return bool(self.turns) and self.turns[-1]["role"] == "user"

    def checkpoint(self) -> Checkpoint:
        last = len(self.turns[-1]["content"]) if self.turns else 0
        return Checkpoint(len(self.turns), last, self.compactions)

    def restore(self, mark: Checkpoint) -> bool:
        """Forget what was added since `mark` (a call cut short must leave no trace).
        False when a summary replaced the history since: there is nothing to take back."""
        if mark.compactions != self.compactions:
            return False
        del self.turns[mark.turns :]
        if self.turns:
            del self.turns[-1]["content"][mark.last_blocks :]
        return True

    # ---- requests ------------------------------------------------------------------------

    def request_messages(self) -> list[dict[str, Any]]:
        """The turns with cache breakpoints on the last block of the last two user turns."""
        messages = [dict(t) for t in self.turns]
        marked = 0
        for m in reversed(messages):
            if marked == 2:
                break
            if m["role"] != "user":
                continue
            content = [dict(b) for b in m["content"]]
            content[-1]["cache_control"] = EPHEMERAL
            m["content"] = content
            marked += 1
        return messages

    # ---- size ----------------------------------------------------------------------------

    def chars(self) -> int:
        return len(json.dumps(self.turns, separators=(",", ":")))

    def estimate_tokens(self, fixed_chars: int = 0) -> int:
        return int((self.chars() + fixed_chars) / self.chars_per_token)

    def learn(self, prompt_chars: int, prompt_tokens: int) -> None:
        """Calibrate the estimate from a call whose prompt size the API reported."""
        if prompt_tokens > 100:
            self.chars_per_token = max(1.0, prompt_chars / prompt_tokens)

    def shorten_old_outputs(self) -> int:
        """Cut long tool outputs outside the recent turns; returns characters saved."""
        saved = 0
        for turn in self.turns[:-KEEP_RECENT_TURNS]:
            if turn["role"] != "user":
                continue
            for block in turn["content"]:
                if block.get("type") != "tool_result":
                    continue
                text = _result_text(block)
                if len(text) <= SHORT_OUTPUT:
                    continue
                half = SHORT_OUTPUT // 2
                cut = len(text) - SHORT_OUTPUT
                block["content"] = (
                    f"{text[:half]}\n[... {cut} characters of this old output cut to save"
                    f" context ...]\n{text[-half:]}"
                )
                saved += cut
        return saved

    def replace_with_summary(self, summary: str, direction: str) -> None:
        """Start afresh from a summary of the research state."""
        self.turns = []
        self.compactions += 1
        self.add_user_text(
            "Your conversation grew too long for the context window, so it was replaced by"
            " this summary of your research so far. Carry on from it; re-read files or the"
            " forum for any detail you need.\n\n"
            f"Your starting direction: {direction}\n\n<summary>\n{summary}\n</summary>"
        )

    def transcript(self, limit_chars: int) -> str:
        """A plain-text rendering of the history (newest kept), for a summarising call."""
        lines: list[str] = []
        for turn in self.turns:
            for block in turn["content"]:
                kind = block.get("type")
                if kind == "text":
                    lines.append(f"{turn['role']}: {block['text']}")
                elif kind == "tool_use":
                    lines.append(f"tool call {block['name']}: {json.dumps(block['input'])}")
                elif kind == "tool_result":
                    flag = " (error)" if block.get("is_error") else ""
                    lines.append(f"tool result{flag}: {_result_text(block)[:2000]}")
        text = "\n".join(lines)
        return text[-limit_chars:]


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if isinstance(content, str):
        return content
    return "".join(c.get("text", "") for c in content if isinstance(c, dict))

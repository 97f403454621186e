"""The command palette's provider: every bound action, searchable by its name.

Generated from the bindings, so an action with a key always has a palette entry. Actions
of one screen are offered only on that screen (a pause needs an agent in view).
"""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from aar_tui.bindings import APP_BINDINGS


class AarCommands(Provider):
    """Offers the app's and the current screen's bindings, with their keys as help."""

    def _entries(self) -> list[tuple[str, str, Binding, bool]]:
        entries: list[tuple[str, str, Binding, bool]] = []
        seen: set[str] = set()
        screen_bindings = [
            b for b in getattr(self.screen, "BINDINGS", []) if isinstance(b, Binding)
        ]
        for binding, on_app in [
            *((b, False) for b in screen_bindings),
            *((b, True) for b in APP_BINDINGS),
        ]:
            if binding.action in seen or binding.action.endswith("quit"):
                continue
            seen.add(binding.action)
            key = binding.key_display or binding.key
            entries.append((binding.description, f"key: {key}", binding, on_app))
        return entries

    def _run(self, binding: Binding, on_app: bool) -> None:
        target = self.app if on_app or binding.action.startswith("app.") else self.screen
        action = binding.action.removeprefix("app.")
        self.app.call_later(target.run_action, action)

    async def discover(self) -> Hits:
        for name, help_text, binding, on_app in self._entries():
            yield DiscoveryHit(name, partial(self._run, binding, on_app), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, binding, on_app in self._entries():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self._run, binding, on_app),
                    help=help_text,
                )

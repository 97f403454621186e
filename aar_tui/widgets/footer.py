"""The footer of keys, fitted to the terminal's width: what does not fit is left out whole.

Textual's footer lays every key in a row and lets the command palette's key, docked at
the right, cover what runs past the edge ("q Q▏"). This one keeps, in order: quit, help,
the palette, the screen's own keys, then the keys that switch screens, and drops from the
end of that order until the rest fits (the help screen and the palette list every key).
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Bindings (by id) kept whatever the width: the way out, and the way to every other key.
ESSENTIAL = ("aar.quit", "aar.help")
# A compact key is "k Description" and a cell of margin after it.
_GAP = 2


class RunFooter(Footer):
    """A compact footer that never overlaps itself; see the module docstring."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        room = (self.size.width or self.app.size.width) - 1
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            room -= self._cost(palette[1]) + 1
        keep: set[str] = set()
        for action in self._by_importance(shown):
            cost = self._cost(shown[action][0])
            if cost <= room:
                keep.add(action)
                room -= cost
        for action, (binding, enabled, tooltip) in shown.items():
            if action in keep:
                yield FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip,
                ).data_bind(compact=Footer.compact)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            _node, binding, enabled, tooltip = palette
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )

    @staticmethod
    def _by_importance(shown: dict[str, tuple[Binding, bool, str]]) -> list[str]:
        ids = {shown[a][0].id: a for a in shown}
        essential = [ids[i] for i in ESSENTIAL if i in ids]
        screens = [a for a in shown if a.startswith("app.switch_mode")]
        own = [a for a in shown if a not in essential and a not in screens]
        return [*essential, *own, *screens]

    def _cost(self, binding: Binding) -> int:
        return cell_len(self.app.get_key_display(binding)) + cell_len(binding.description) + _GAP

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            if self._bindings_ready:
                self.refresh(recompose=True)

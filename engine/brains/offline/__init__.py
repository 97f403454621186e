"""The offline researcher, the embedded default brain: no model, no key, a real search."""

from engine.brains.offline.researcher import OfflineResearcher

__all__ = ["OfflineResearcher"]

"""The offline researcher, the embedded default brain: no model, no key, a real search.

`researcher.OfflineResearcher` is the brain; the package itself imports nothing, so its
modules import one another without a circle through it.
"""

"""Import torch once, with a thread count that suits the small full-batch work of this package.

Small matrices gain nothing from many threads and lose to their start-up, and several
sandboxes share a machine; `AAR_TORCH_THREADS` overrides the default of at most 4.
"""

from __future__ import annotations

import os
from types import ModuleType

_configured = False


def torch() -> ModuleType:
    """The torch module, configured on first use."""
    global _configured
    import torch as _torch

    if not _configured:
        _configured = True
        wanted = os.environ.get("AAR_TORCH_THREADS")
        threads = int(wanted) if wanted and wanted.isdigit() else min(4, os.cpu_count() or 1)
        _torch.set_num_threads(max(1, threads))
    return _torch

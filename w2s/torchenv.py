"""Import torch once, with a thread count that suits the small full-batch work of this package.

The models of the shared core are small (batches of a few hundred rows, layers of a few
hundred units): one thread runs them as fast as several on an idle machine and much faster
on a busy one, where threads of many sandboxes would fight over the cores. A task with larger
models (e.g. fine-tuning a transformer) or a user can raise it with `AAR_TORCH_THREADS`.
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
        wanted = os.environ.get("AAR_TORCH_THREADS", "")
        _torch.set_num_threads(max(1, int(wanted)) if wanted.isdigit() else 1)
    return _torch

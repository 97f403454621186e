"""A run's name: the config's own, or a readable one made fresh."""

from __future__ import annotations

import re
import secrets
import time

from engine.config import RunConfig, default_runs_dir

# Words that make a default run name easy to say and to tell apart from its neighbours.
_WORDS = (
    "amber",
    "birch",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "heron",
    "iris",
    "juniper",
    "kestrel",
    "lark",
    "maple",
    "nova",
    "otter",
    "pine",
    "quartz",
    "raven",
    "sage",
    "tern",
    "umber",
    "vale",
    "willow",
    "yarrow",
    "zephyr",
    "aspen",
    "brook",
    "coral",
    "dune",
    "elm",
)


def run_name(config: RunConfig) -> str:
    """The run's name: the config's, or a readable one such as `toy-nov27-1012-heron-3fa1c2`.

    Sandboxes, their cgroups and containers are named after the run machine-wide, while
    runs started elsewhere (another runs directory, another user's suite) cannot be seen
    from here: the random tail keeps two runs started in the same minute apart.
    """
    if config.name:
        return config.name
    task = re.sub(r"[^a-z0-9]+", "-", config.task.lower()).strip("-")[:16] or "run"
    stamp = time.strftime("%b%d-%H%M").lower()
    taken = default_runs_dir()
    while True:
        name = f"{task}-{stamp}-{secrets.choice(_WORDS)}-{secrets.token_hex(3)}"
        if not (taken / name).exists():
            return name

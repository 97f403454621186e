"""The engine's own log, apart from the event log: a rotating file in the run directory.

It is for diagnosing the engine itself (what it started, reattached, removed, what went
wrong inside it), not for following the research; that is the event log's job.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "engine.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
LOGGERS = ("engine", "sandbox")


def attach(run_dir: Path) -> list[logging.Handler]:
    """Send the engine's and the sandboxes' loggers to `run_dir/engine.log`, rotating.

    Warnings still reach stderr as well, as they did before a handler was attached (Python
    prints them there only while no handler is), so a user still sees, e.g., that local
    sandboxes are not isolated.
    """
    handler = RotatingFileHandler(
        Path(run_dir) / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    handlers: list[logging.Handler] = [handler]
    if not logging.getLogger().handlers:
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        handlers.append(console)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        for h in handlers:
            logger.addHandler(h)
    return handlers


def detach(handlers: list[logging.Handler]) -> None:
    for name in LOGGERS:
        for h in handlers:
            logging.getLogger(name).removeHandler(h)
    for h in handlers:
        h.close()

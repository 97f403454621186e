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


def attach(run_dir: Path) -> logging.Handler:
    """Send the engine's and the sandboxes' loggers to `run_dir/engine.log`, rotating."""
    handler = RotatingFileHandler(
        Path(run_dir) / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level > logging.INFO:
            logger.setLevel(logging.INFO)
        logger.addHandler(handler)
    return handler


def detach(handler: logging.Handler) -> None:
    for name in LOGGERS:
        logging.getLogger(name).removeHandler(handler)
    handler.close()

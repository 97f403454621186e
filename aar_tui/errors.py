"""Errors that a user of the supervisor app can meet, written for that user, and the file an
error that ends the app leaves behind."""

import time
import traceback
from pathlib import Path


class TuiError(Exception):
    """The app could not start as asked (an unknown theme, a broken theme file...)."""


class ThemeError(TuiError):
    """A theme name or theme file is not usable; the message names it and what is allowed."""


def save_traceback(folder: Path, error: BaseException) -> Path | None:
    """Write `error`'s traceback to `folder/app-crash-TIME.txt`; None when it cannot be written."""
    path = folder / time.strftime("app-crash-%Y%m%d-%H%M%S.txt")
    text = "".join(traceback.format_exception(error))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError:
        return None
    return path

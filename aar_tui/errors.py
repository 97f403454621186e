"""Errors that a user of the supervisor app can meet, written for that user."""


class TuiError(Exception):
    """The app could not start as asked (an unknown theme, a broken theme file...)."""


class ThemeError(TuiError):
    """A theme name or theme file is not usable; the message names it and what is allowed."""

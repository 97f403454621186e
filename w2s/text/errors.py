"""The error a user meets when a text task's data, source or model cannot be used."""

from w2s.errors import W2SError


class TextTaskError(W2SError):
    """A text task's data source, records or model settings are unusable; the message says why."""

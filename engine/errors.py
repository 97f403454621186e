"""Errors that a user of the engine can meet, written for that user."""


class EngineError(Exception):
    """A run could not be configured, started or reached; the message says what to fix."""

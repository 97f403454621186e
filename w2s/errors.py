"""Errors that a user of the benchmark can meet, written for that user."""


class W2SError(Exception):
    """A problem with a task, a method config, a bundle or predictions; the message says what to fix."""

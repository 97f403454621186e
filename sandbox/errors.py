"""Errors that a user of a sandbox can meet, written for that user."""


class SandboxError(Exception):
    """A sandbox could not be created, reached or used; the message says what to do."""

"""Errors that a user of the benchmark can meet, written for that user."""


class W2SError(Exception):
    """A problem with a task, a method config, a bundle or predictions; says what to fix."""


class ConfigError(W2SError):
    """A method config with an unknown field or a value outside what the field allows."""


class PredictionsError(W2SError):
    """Predictions the grader cannot score: not JSON, wrong length, values out of [0, 1]."""


class TaskError(W2SError):
    """An unknown task, or a task whose data cannot be built."""


class BundleError(W2SError):
    """A bundle or hidden directory that is missing, incomplete or of another format."""

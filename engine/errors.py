"""Errors that a user of the engine can meet, written for that user."""


class EngineError(Exception):
    """A run could not be configured, started or reached; the message says what to fix."""


class ConfigError(EngineError):
    """The run configuration is invalid; the message names the field, value and what is allowed."""


class BrainFailed(EngineError):
    """A brain cannot go on (its API key is refused): the agent fails once, with this
    message, instead of retrying a step that cannot succeed."""


class ToolInputError(EngineError):
    """A brain called a tool with input that does not fit; the message is shown to the brain."""


class SubmissionRefused(EngineError):
    """A submission was not accepted (rate limit, unreadable file, voided run)."""


class ForumError(EngineError):
    """A forum post or query was not accepted; the message says why."""


class ScoringError(EngineError):
    """The scorer could not grade a submission; the message says why."""


class StoreVersionError(EngineError):
    """A run directory's store was written by a newer `aar` than this one."""


class ResumeError(EngineError):
    """A run cannot be resumed (no run there, its files are incomplete); the message says why."""

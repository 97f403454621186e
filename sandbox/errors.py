"""Errors that a user of a sandbox can meet, written for that user."""


class SandboxError(Exception):
    """A sandbox could not be created, reached or used; the message says what to do."""


class SpecError(SandboxError):
    """A sandbox spec names something that cannot be used (a bad id, path, limit or mount)."""


class BackendUnavailable(SandboxError):
    """The backend cannot run here (no Docker engine answers, no cgroup, no image)."""


class PathRefused(SandboxError):
    """A path leads outside the workspace and the read-only mounts, or is not allowed."""


class FileTooLarge(SandboxError):
    """A file is larger than the size cap of a read."""


class SandboxGone(SandboxError):
    """The sandbox no longer exists (removed, or its container or cgroup vanished)."""

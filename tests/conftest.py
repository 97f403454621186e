"""Fixtures and helpers shared by every test folder."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The suite never reaches past this machine: a hub client that looks for a model or a data set
# meets a closed loopback port and fails at once, instead of contacting a public host.
os.environ.setdefault("HF_ENDPOINT", "http://127.0.0.1:9")
# And the clients are offline from the start: they read offline mode once, when first
# imported, so a test that set it after another had imported them online spent 23 s in the
# client's retries. A test of network mode removes these and meets the closed port.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def require(condition: bool, what: str) -> None:
    """Skip when a real component is missing on a developer's machine; fail under CI=true.

    A skipped test is not a passing test: CI installs every component the suite needs,
    so a missing one there is a broken machine or a broken install step.
    """
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is missing", pytrace=False)
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def local_sandboxes() -> None:
    """For a test that builds local sandboxes: under CI=true they must be isolated ones."""
    from sandbox.bwrap import bwrap_path

    require(bwrap_path() is not None, "bubblewrap (bwrap), for local sandboxes")

"""Fixtures for the benchmark tests: a private cache and one task prepared from a secret seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from w2s.prepare import Prepared, prepare


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache of this test session's own, so tests never read or write the user's cache."""
    return tmp_path_factory.mktemp("w2s-cache")


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Prepared:
    """The toy task prepared as a run prepares it: from a fresh secret seed."""
    return prepare("toy", tmp_path_factory.mktemp("prepared"), seeds=2, cache_dir=cache_dir)

"""Whole-run tests share the engine fixtures."""

from tests.engine.conftest import open_engine, prepared_toy  # noqa: F401

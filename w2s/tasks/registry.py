"""The registry of tasks, keyed by versioned id (`toy-v1`); a bare name means its latest version.

Built-in task modules register themselves on import. The registry imports them on first
lookup, so importing `w2s.tasks` stays cheap; a provider module must itself stay cheap to
import (import heavy libraries inside `Task.build`, not at module level).
"""

from __future__ import annotations

import importlib

from w2s.errors import TaskError
from w2s.tasks.base import Task

# Modules that register tasks when imported. `w2s.text` is optional: absent, it is skipped.
PROVIDERS: tuple[str, ...] = ("w2s.tasks.toy", "w2s.tasks.toy_v2", "w2s.text")

_tasks: dict[str, Task] = {}
_loaded = False


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Add `task` under its versioned id. Registering another task under a taken id is an error,
    since a versioned id must always mean the same data and models."""
    existing = _tasks.get(task.id)
    if existing is not None and existing is not task and not replace:
        raise TaskError(f"task {task.id!r} is already registered; bump its version instead")
    _tasks[task.id] = task
    return task


def _load_providers() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in PROVIDERS:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def list_tasks() -> list[str]:
    """Every registered versioned id, sorted."""
    _load_providers()
    return sorted(_tasks)


def _latest(name: str) -> Task | None:
    versions = [t for t in _tasks.values() if t.name == name]
    return max(versions, key=lambda t: t.version) if versions else None


def get_task(name: str) -> Task:
    """The task with versioned id `name`, or the latest version of the bare name `name`."""
    _load_providers()
    task = _tasks.get(name) or _latest(name)
    if task is None:
        known = ", ".join(list_tasks()) or "none"
        raise TaskError(f"unknown task {name!r}; known tasks: {known}")
    return task

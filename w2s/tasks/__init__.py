"""Benchmark tasks: the data shapes every task shares and the registry of versioned tasks.

See `w2s.tasks.base` for how to add a task and `w2s.tasks.toy` for a complete example.
"""

from w2s.tasks.base import SPLITS, Split, StrongSpec, Task, TaskData, WeakSupervisor
from w2s.tasks.registry import get_task, list_tasks, register_task

__all__ = [
    "SPLITS",
    "Split",
    "StrongSpec",
    "Task",
    "TaskData",
    "WeakSupervisor",
    "get_task",
    "list_tasks",
    "register_task",
]

"""The flags of the run's limits, one for each of `engine.limits.LIMITS`.

`aar ctl budget` takes them all; `aar run` all but `--minutes`, which it keeps with its
own meaning on a resume (minutes more).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from engine.limits import LIMITS, MINUTES, Limit

# `aar run` and `aar serve` keep --minutes as their own (on a resume: minutes more).
LEFT_TO_MINUTES = frozenset({MINUTES.name})


def limit_options(
    *, leave_out: frozenset[str] = frozenset()
) -> list[Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """A click option for each limit (by name, less `leave_out`), its value given as is."""
    return [_option(limit) for limit in LIMITS if limit.name not in leave_out]


def _option(limit: Limit) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(limit.flag, type=limit.number, help=limit.help)


def with_limit_options(
    *, leave_out: frozenset[str] = frozenset()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator giving a command every limit's option (less `leave_out`)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(limit_options(leave_out=leave_out)):
            fn = option(fn)
        return fn

    return decorate

"""The flags of the run's limits, one for each of `engine.limits.LIMITS`.

`aar ctl budget` takes them all (the command checks them); `aar run` and `aar serve` all
but `--minutes`, which they keep with its own meaning on a resume (minutes more), each
checked against the limit's bounds as it is read, so a bad figure is one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from engine.limits import LIMITS, MINUTES, Limit

# `aar run` and `aar serve` keep --minutes as their own (on a resume: minutes more).
LEFT_TO_MINUTES = frozenset({MINUTES.name})

Option = Callable[[Callable[..., Any]], Callable[..., Any]]


class LimitValue(click.ParamType):
    """A figure of a limit within its bounds, checked as the run's config checks it."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.name = limit.number.__name__
        self._bounds: TypeAdapter[Any] = TypeAdapter(limit.bounds)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        kind = "a whole number" if self.limit.number is int else "a number"
        try:
            number = self.limit.number(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not {kind}", param, ctx)
        try:
            return self._bounds.validate_python(number)
        except ValidationError as exc:
            self.fail(f"{value!r} is not allowed: {exc.errors()[0]['msg']}", param, ctx)


def limit_options(
    *, leave_out: frozenset[str] = frozenset(), checked: bool = False
) -> list[Option]:
    """A click option for each limit (by name, less `leave_out`); `checked`: against its
    bounds as it is read, else left to the command that takes it."""
    return [
        click.option(
            limit.flag, type=LimitValue(limit) if checked else limit.number, help=limit.help
        )
        for limit in LIMITS
        if limit.name not in leave_out
    ]


def with_limit_options(*, leave_out: frozenset[str] = frozenset()) -> Option:
    """A decorator giving a command every limit's checked option (less `leave_out`)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(limit_options(leave_out=leave_out, checked=True)):
            fn = option(fn)
        return fn

    return decorate

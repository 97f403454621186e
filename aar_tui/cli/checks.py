"""Checks shared by the commands' options: a TARGET a path can hold, a --minutes a run can mean.

Each answers a bad value with click's one-line usage error (exit 2) before any work starts,
where the value would otherwise reach the filesystem as an OSError or a run as a deadline
that never comes.
"""

from __future__ import annotations

import math

import click

from engine.bounds import MAX_MINUTES

# Linux's limits on one name in a path and on a whole path, in bytes.
NAME_MAX, PATH_MAX = 255, 4096


def run_target(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A run name, directory, socket or URL no longer than a path may be."""
    if value is None:
        return None
    raw = value.encode(errors="surrogateescape")
    if len(raw) > PATH_MAX or any(len(part) > NAME_MAX for part in raw.split(b"/")):
        raise click.BadParameter(
            f"{value[:40]!r}... ({len(value)} characters) is too long for a run name or path:"
            f" a name is at most {NAME_MAX} bytes, a path {PATH_MAX}"
        )
    return value


class RunMinutes(click.ParamType):
    """Minutes of a run: a finite number above 0, at most `MAX_MINUTES` (30 days)."""

    name = "minutes"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            if not isinstance(value, str | int | float):
                raise TypeError(value)
            minutes = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of minutes", param, ctx)
        if not math.isfinite(minutes) or not 0 < minutes <= MAX_MINUTES:
            self.fail(
                f"{value!r}: a run lasts more than 0 and at most {MAX_MINUTES} minutes (30 days)",
                param,
                ctx,
            )
        return minutes


MINUTES = RunMinutes()

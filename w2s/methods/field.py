"""One field of the method config: its type, default, allowed values and documentation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, overload

T = TypeVar("T")


@dataclass(frozen=True)
class Field:
    name: str
    type: type
    default: Any
    doc: str
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nullable: bool = False
    # The methods the field means something for; None: every method.
    methods: tuple[str, ...] | None = None
    losses: tuple[str, ...] | None = None
    adapters: tuple[str, ...] | None = None
    # A free-form string field's shape, with a word for it in errors and help.
    pattern: str | None = None
    pattern_doc: str = ""

    def allowed(self) -> str:
        if self.choices is not None:
            text = "one of " + ", ".join(json.dumps(c) for c in self.choices)
        elif self.pattern is not None:
            text = self.pattern_doc
        elif self.type is bool:
            text = "true or false"
        else:
            kind = "an integer" if self.type is int else "a number"
            if self.low is not None and self.high is not None:
                left = "(" if self.low_open else "["
                right = ")" if self.high_open else "]"
                text = f"{kind} in {left}{_num(self.low)}, {_num(self.high)}{right}"
            elif self.low is not None:
                text = f"{kind} {'>' if self.low_open else '>='} {_num(self.low)}"
            else:
                text = kind
        return text + (" or null" if self.nullable else "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


class _Parsed(Protocol):
    @property
    def values(self) -> Mapping[str, Any]: ...


class FieldValue(Generic[T]):
    """A parsed config's field as a typed attribute: reads `values[name]` of its owner."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> FieldValue[T]: ...
    @overload
    def __get__(self, obj: _Parsed, owner: type) -> T: ...
    def __get__(self, obj: _Parsed | None, owner: type) -> FieldValue[T] | T:
        if obj is None:
            return self
        value: T = obj.values[self.name]
        return value

"""The parsed form of a JSON pattern: conditions joined by ``&&`` and ``||``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from trailguard.patterns.logs_filter._tokens import AllOf, AnyOf, BoolExpr

if TYPE_CHECKING:
    from trailguard.patterns.logs_filter import json_selector
    from trailguard.patterns.logs_filter._values import Value


@dataclass(frozen=True, slots=True)
class Comparison:
    """``selector op value``: ``$.eventName = ConsoleLogin``, ``$.bytes > 1000``."""

    selector: json_selector.Selector
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Check:
    """``selector IS NULL|TRUE|FALSE`` or ``selector NOT EXISTS`` (``test`` = ``"NOT EXISTS"``)."""

    selector: json_selector.Selector
    test: str


Condition = Comparison | Check
JsonExpr: TypeAlias = "BoolExpr[Condition]"


def conditions(expression: JsonExpr) -> list[Condition]:
    """Every condition of the expression, left to right."""
    if isinstance(expression, AllOf | AnyOf):
        return [leaf for part in expression.parts for leaf in conditions(part)]
    return [expression]

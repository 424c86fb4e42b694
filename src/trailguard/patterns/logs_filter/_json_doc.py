"""Log events as JSON documents: parsing that keeps each number's text, and leaf helpers.

String comparisons against a number use the number's text as written: ``{ $.v = "1" }``
matches ``{"v":1}`` but not ``{"v":1.0}`` or ``{"v":1e0}`` (recorded AWS behaviour, see
``cap-json_quoted_number``), so a parsed float keeps its text. A document handed in already
parsed (``matches_parsed``) stands for its compact ``orjson.dumps`` text, so a plain float's text
is what orjson writes, and a non-finite float is the ``null`` orjson writes for it.
"""

from __future__ import annotations

import json
import math
from typing import Any, Self

import orjson

from trailguard.patterns.logs_filter._values import as_number


class RawFloat(float):
    """A JSON number with a fraction or exponent, and its text as it appeared in the message."""

    __slots__ = ("raw",)
    raw: str

    def __new__(cls, raw: str) -> Self:
        number = super().__new__(cls, raw)
        number.raw = raw
        return number


NUMBER_TYPES = frozenset({int, float, RawFloat})


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


_decoder = json.JSONDecoder(parse_float=RawFloat, parse_constant=_reject_constant)


def parse_message(message: str) -> dict[str, Any] | None:
    """The JSON object a whole message holds, or None (not JSON, or not an object).

    Duplicate keys keep the last value, as AWS does (``{"v":2,"v":1}`` behaves as ``v = 1``).
    """
    if not message.lstrip().startswith("{"):
        return None
    try:
        document = _decoder.decode(message)
    except (ValueError, RecursionError):
        return None
    return document if document.__class__ is dict else None


def number_text(value: object) -> str | None:
    """The text of a JSON number leaf, or None when ``value`` is not a number."""
    if type(value) is RawFloat:
        return value.raw
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        return orjson.dumps(value).decode()
    return None


def is_number(value: object) -> bool:
    """Whether ``value`` is a JSON number leaf (never a boolean)."""
    return (
        type(value) is int
        or type(value) is RawFloat
        or (type(value) is float and math.isfinite(value))
    )


def _is_null_leaf(value: object) -> bool:
    return value is None or (type(value) is float and not math.isfinite(value))


def is_null(value: object) -> bool:
    """``IS NULL``: JSON null, or (recorded quirk, ``cap-json_is_null-24``) an array holding one."""
    if type(value) is list:
        return any(_is_null_leaf(item) for item in value)
    return _is_null_leaf(value)


def dumps(document: object) -> str | None:
    """The compact one-line JSON CloudTrail writes to CloudWatch Logs, or None if impossible."""
    try:
        return orjson.dumps(document).decode()
    except TypeError:
        return None


def leaf_number(value: object) -> float | None:
    """A metric value from a JSON leaf: a number as is, numeric text converted, else None."""
    if type(value) is str:
        return as_number(value)
    if type(value) is int or type(value) is RawFloat:
        return float(value)
    if type(value) is float and math.isfinite(value):
        return value
    return None


def leaf_text(value: object) -> str | None:
    """A dimension value from a JSON leaf: a string, a number's text or a boolean's JSON text."""
    if type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    return number_text(value)

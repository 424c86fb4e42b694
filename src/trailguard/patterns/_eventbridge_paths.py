"""Reading the values at a field path of an event, as EventBridge flattens events.

An event is never flattened as a whole: each field reads only the values at its own path. Array
levels are transparent, objects are not values, and keys that contain dots are honoured
(pattern ``a.b.c`` also reads ``{"a": {"b.c": ...}}``), as EventBridge joins keys with dots.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from trailguard.patterns._eventbridge_values import NumberLiteral, comparable

Membership = tuple[tuple[int, int], ...]
"""Which element of which array a value sits in: ((id(array), index), ...)."""

Found = list[tuple[object, Membership]]
Collector = Callable[[Mapping[str, Any]], Found]
Reader = Callable[[Mapping[str, Any]], object]

MISSING = object()
"""What ``reader`` returns when the path has no value."""
COMPLEX = object()
"""What ``reader`` returns when the path goes through arrays or dotted keys: use ``collector``."""
SCALARS = frozenset({str, int, float, bool, type(None), Decimal, NumberLiteral})
"""The types of leaf values (JSON scalars, with the number types events may carry)."""


class Repeated(list[object]):
    """The values of a key that occurs more than once in one JSON object (all of them count)."""

    __slots__ = ()


def parse_event(text: str) -> Mapping[str, Any] | None:
    """Parse an event given as JSON text; None unless it is a JSON object."""
    try:
        event = json.loads(
            text, parse_float=_parse_float, parse_constant=_reject, object_pairs_hook=_object
        )
    except (ValueError, RecursionError):
        return None
    return event if isinstance(event, dict) else None


def _parse_float(literal: str) -> object:
    value = float(literal)
    return value if comparable(literal) == value else NumberLiteral(literal)


def _reject(literal: str) -> object:
    raise ValueError(literal)


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key not in result:
            result[key] = value
            continue
        previous = result[key]
        if type(previous) is Repeated:
            previous.append(value)
        else:
            result[key] = Repeated([previous, value])
    return result


def collector(path: str) -> Collector:
    """A function returning every leaf value at ``path`` with its array membership."""
    route = _Route(path)

    def collect(event: Mapping[str, Any]) -> Found:
        found: Found = []
        route.walk(event, 0, (), found)
        return found

    return collect


class _Route:
    """The keys that can lead along a path: at each segment, it alone or joined with the next."""

    __slots__ = ("size", "steps")

    def __init__(self, path: str) -> None:
        segments = path.split(".")
        self.size = len(segments)
        self.steps = tuple(
            tuple(
                (".".join(segments[start:stop]), stop) for stop in range(start + 1, self.size + 1)
            )
            for start in range(self.size)
        )

    def walk(self, node: Mapping[str, Any], at: int, membership: Membership, found: Found) -> None:
        get = node.get
        for key, stop in self.steps[at]:
            child = get(key, MISSING)
            if child is MISSING:
                continue
            if stop == self.size:
                _leaf(child, membership, found)
            else:
                self.inner(child, stop, membership, found)

    def inner(self, value: object, at: int, membership: Membership, found: Found) -> None:
        if type(value) is dict or isinstance(value, Mapping):
            self.walk(value, at, membership, found)
        elif isinstance(value, Repeated):
            for item in value:
                self.inner(item, at, membership, found)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, Mapping | list | tuple):
                    self.inner(item, at, (*membership, (id(value), index)), found)


def _leaf(value: object, membership: Membership, found: Found) -> None:
    kind = type(value)
    if kind in SCALARS:
        found.append((value, membership))
    elif kind is Repeated:
        for item in value:  # type: ignore[attr-defined]
            _leaf(item, membership, found)
    elif kind is list or kind is tuple or isinstance(value, list | tuple):
        for index, item in enumerate(value):  # type: ignore[arg-type]
            if type(item) in SCALARS:
                found.append((item, membership))
            elif isinstance(item, list | tuple):
                _leaf(item, (*membership, (id(value), index)), found)


def reader(path: str) -> Callable[[Mapping[str, Any]], object]:
    """A fast read of the single value at ``path``, for events that are plain nested objects.

    Returns the value (a scalar, or an object or array that holds no scalar itself), MISSING, or
    COMPLEX when arrays or keys containing dots are in the way. It allocates nothing, so the
    common case costs a few dictionary lookups.
    """
    segments = path.split(".")
    steps = tuple(
        (segment, tuple(".".join(segments[at:stop]) for stop in range(at + 2, len(segments) + 1)))
        for at, segment in enumerate(segments)
    )
    if len(steps) == 1:
        key = segments[0]
        return lambda event: event.get(key, MISSING)
    if len(steps) == 2:  # the usual depth of CloudTrail paths, spelled out for speed
        (first, (joined,)), (second, _) = steps

        def read_two(event: Mapping[str, Any]) -> object:
            node = event.get(first, MISSING)
            if type(node) is dict:
                return COMPLEX if joined in event else node.get(second, MISSING)
            return stray(node) if joined not in event else COMPLEX

        return read_two

    def read(event: Mapping[str, Any]) -> object:
        node: object = event
        for key, joined in steps:
            if type(node) is not dict:
                return stray(node)
            for other in joined:
                if other in node:
                    return COMPLEX
            node = node.get(key, MISSING)
        return node

    return read


def stray(node: object) -> object:
    """A non-object met on the way down: arrays and mappings need the full walk."""
    if node is MISSING or type(node) in SCALARS:
        return MISSING
    return COMPLEX if isinstance(node, Mapping | list | tuple) else MISSING

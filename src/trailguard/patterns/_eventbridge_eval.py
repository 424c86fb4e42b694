"""Matching compiled fields against an event: reading values by path, array consistency.

An event is never flattened as a whole: each field reads only the values at its own path. Keys
that contain dots are honoured (pattern ``a.b.c`` also reads ``{"a": {"b.c": ...}}``), as
EventBridge joins keys with dots before comparing them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from trailguard.patterns._eventbridge_operators import ABSENT, EXISTS, Matcher
from trailguard.patterns._eventbridge_values import NumberText, event_double, parse_ip

Membership = tuple[tuple[int, int], ...]
"""Which element of which array a value sits in: ((id(array), index), ...)."""

Found = list[tuple[object, Membership]]
Collector = Callable[[Mapping[str, Any]], Found]
Rule = Callable[[Mapping[str, Any]], bool]

MISSING = object()
"""What ``reader`` returns when the path has no value."""
COMPLEX = object()
"""What ``reader`` returns when the path goes through arrays or dotted keys: use ``collector``."""
SCALARS = frozenset({str, int, float, bool, type(None), Decimal, NumberText})
_NO_MEMBERSHIP: Membership = ()


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
    return value if value not in {float("inf"), float("-inf")} else NumberText(literal)


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
    segments = path.split(".")
    size = len(segments)
    steps = tuple(
        tuple((".".join(segments[start:stop]), stop) for stop in range(start + 1, size + 1))
        for start in range(size)
    )

    def collect(event: Mapping[str, Any]) -> Found:
        found: Found = []
        _walk(event, steps, 0, size, _NO_MEMBERSHIP, found)
        return found

    return collect


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
            return _stray(node) if joined not in event else COMPLEX

        return read_two

    def read(event: Mapping[str, Any]) -> object:
        node: object = event
        for key, joined in steps:
            if type(node) is not dict:
                return _stray(node)
            for other in joined:
                if other in node:
                    return COMPLEX
            node = node.get(key, MISSING)
        return node

    return read


Probe = Callable[[Mapping[str, Any]], tuple[object, ...] | None]


def probe(paths: Sequence[str]) -> Probe:
    """One function reading the values at many paths at once, walking shared prefixes once.

    It returns one value per path, as ``reader`` would, or None when the event is not a plain
    dict or has a key containing a dot along the way (then use ``reader`` per path). The body is
    generated as straight-line code because PatternSet runs it for every event; keys are
    embedded with ``repr``, so any string is safe.
    """
    trie: dict[str, Any] = {"ends": [], "children": {}}
    for number, path in enumerate(paths):
        node = trie
        for segment in path.split("."):
            node = node["children"].setdefault(segment, {"ends": [], "children": {}})
        node["ends"].append(number)
    lines = ["def probe(event):", "    if type(event) is not dict:", "        return None"]
    _emit(trie, "event", lines, 1, [0])
    lines.append(f"    return ({''.join(f'v{n}, ' for n in range(len(paths)))})")
    namespace: dict[str, Any] = {"MISSING": MISSING, "stray": _stray, "dict": dict}
    exec(compile("\n".join(lines), "<eventbridge-probe>", "exec"), namespace)  # noqa: S102
    made: Probe = namespace["probe"]
    return made


def _emit(node: dict[str, Any], name: str, lines: list[str], depth: int, counter: list[int]) -> None:
    pad = "    " * depth
    joined = sorted(_dotted(node))
    if joined:
        lines.append(f"{pad}if {' or '.join(f'{key!r} in {name}' for key in joined)}:")
        lines.append(f"{pad}    return None")
    for segment, child in node["children"].items():
        counter[0] += 1
        variable = f"n{counter[0]}"
        lines.append(f"{pad}{variable} = {name}.get({segment!r}, MISSING)")
        lines.extend(f"{pad}v{number} = {variable}" for number in child["ends"])
        below = _ends_below(child)
        if below:
            lines.append(f"{pad}if type({variable}) is dict:")
            _emit(child, variable, lines, depth + 1, counter)
            lines.append(f"{pad}else:")
            lines.append(f"{pad}    {' = '.join(f'v{number}' for number in below)} = stray({variable})")


def _dotted(node: dict[str, Any]) -> set[str]:
    """Keys made of two or more segments below ``node`` (an event key may contain dots)."""
    found: set[str] = set()
    for segment, child in node["children"].items():
        for tail in _tails(child):
            found.add(f"{segment}.{tail}")
    return found


def _tails(node: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for segment, child in node["children"].items():
        found.add(segment)
        found.update(f"{segment}.{tail}" for tail in _tails(child))
    return found


def _ends_below(node: dict[str, Any]) -> list[int]:
    found: list[int] = []
    for child in node["children"].values():
        found.extend(child["ends"])
        found.extend(_ends_below(child))
    return found


def _stray(node: object) -> object:
    """A non-object met on the way down: arrays and mappings need the full walk."""
    if node is MISSING or type(node) in SCALARS:
        return MISSING
    return COMPLEX if isinstance(node, Mapping | list | tuple) else MISSING


def _walk(
    node: Mapping[str, Any],
    steps: tuple[tuple[tuple[str, int], ...], ...],
    at: int,
    size: int,
    membership: Membership,
    found: Found,
) -> None:
    get = node.get
    for key, stop in steps[at]:
        child = get(key, MISSING)
        if child is MISSING:
            continue
        if stop == size:
            _leaf(child, membership, found)
        else:
            _inner(child, steps, stop, size, membership, found)


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


def _inner(
    value: object,
    steps: tuple[tuple[tuple[str, int], ...], ...],
    at: int,
    size: int,
    membership: Membership,
    found: Found,
) -> None:
    if type(value) is dict or isinstance(value, Mapping):
        _walk(value, steps, at, size, membership, found)
    elif type(value) is Repeated:
        for item in value:  # type: ignore[attr-defined]
            _inner(item, steps, at, size, membership, found)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if isinstance(item, Mapping | list | tuple):
                _inner(item, steps, at, size, (*membership, (id(value), index)), found)


def _never(_value: object) -> bool:
    return False


def acceptor(matchers: Sequence[Matcher]) -> Callable[[object], bool]:
    """One test for a field's whole list: does any matcher accept this value?

    Like a byte machine, the field first decides how it reads the value: a number becomes a
    double if the field has a numeric matcher, a string that is an IP literal becomes an address
    if it has an IP matcher (and no numeric one); everything else is compared as text.
    """
    if any(matcher is EXISTS for matcher in matchers):
        return lambda _value: True
    exact = frozenset(matcher.exact for matcher in matchers if matcher.exact is not None)
    on_str = tuple(matcher.on_str for matcher in matchers if matcher.on_str is not None)
    on_other = tuple(matcher.on_other for matcher in matchers if matcher.on_other is not None)
    on_number = tuple(matcher.on_number for matcher in matchers if matcher.on_number is not None)
    on_ip = tuple(matcher.on_ip for matcher in matchers if matcher.on_ip is not None)
    numeric = any(matcher.numeric for matcher in matchers)
    ip = any(matcher.ip for matcher in matchers) and not numeric
    if not (on_str or on_other or on_number or on_ip):
        return (lambda value: type(value) is str and value in exact) if exact else _never

    def accept(value: object) -> bool:
        if type(value) is str:
            if ip:
                address = parse_ip(value)
                if address is not None:
                    return any(test(address) for test in on_ip)
            return value in exact or any(test(value) for test in on_str)
        if numeric:
            number = event_double(value)
            if number is not None:
                return any(test(number) for test in on_number)
        return any(test(value) for test in on_other)

    return accept


class Field:
    """One field path of a sub-rule and the list of matchers for it."""

    __slots__ = ("absent_ok", "accept", "collect", "matchers", "path", "read")

    def __init__(self, path: str, matchers: Sequence[Matcher]) -> None:
        self.path = path
        self.matchers = tuple(matchers)
        self.read = reader(path)
        self.collect = collector(path)
        self.accept = acceptor(self.matchers)
        self.absent_ok = any(matcher is ABSENT for matcher in self.matchers)


class SubRule:
    """One branch of a pattern: its fields in event-ruler's order, and the compiled test."""

    __slots__ = ("fields", "matches")

    def __init__(self, fields: Mapping[str, Sequence[Matcher]]) -> None:
        self.fields = tuple(Field(path, fields[path]) for path in sorted(fields, key=sort_key))
        self.matches: Rule = subrule(self.fields)


def sort_key(path: str) -> bytes:
    """Java's ``String.compareTo`` order (UTF-16 code units), the order event-ruler uses."""
    return path.encode("utf-16-be", errors="surrogatepass")


def subrule(fields: Sequence[Field]) -> Rule:
    """The test for one sub-rule: every field matches, with array-consistent values.

    Fields are tried cheapest first (exact strings, short paths) so that a miss costs little;
    only fields whose values sit in arrays of objects go on to the consistency search, which
    takes them in event-ruler's (sorted) order.
    """
    ordered = tuple(fields)
    quick = tuple(sorted(range(len(ordered)), key=lambda at: _cost(ordered[at])))

    def matches(event: Mapping[str, Any]) -> bool:
        tied: list[tuple[int, list[Membership], list[Membership], bool]] | None = None
        for position in quick:
            field = ordered[position]
            value = field.read(event)
            if type(value) in SCALARS:
                if field.accept(value):
                    continue
                return False
            if value is MISSING or type(value) is dict:
                if field.absent_ok:
                    continue
                return False
            values = field.collect(event)
            if not values:
                if field.absent_ok:
                    continue
                return False
            accept = field.accept
            hits: list[Membership] = []
            loose = False
            for value, membership in values:
                if accept(value):
                    if not membership:
                        break
                    hits.append(membership)
                elif not membership:
                    loose = True
            else:
                if not hits and (loose or not field.absent_ok):
                    return False
                if tied is None:
                    tied = []
                present = [membership for _, membership in values]
                tied.append((position, hits, present, field.absent_ok))
        if tied is None:
            return True
        tied.sort(key=lambda entry: entry[0])
        return _consistent([entry[1:] for entry in tied], 0, {})

    return matches


def _cost(field: Field) -> tuple[int, int]:
    exact_only = all(matcher.exact is not None for matcher in field.matchers)
    return (0 if exact_only else 1, field.path.count("."))


def _consistent(
    tied: list[tuple[list[Membership], list[Membership], bool]], at: int, held: dict[int, int]
) -> bool:
    """Whether the remaining fields can use values from the same elements of shared arrays.

    Fields are taken in sorted path order, as event-ruler's machine steps through them; an
    ``exists: false`` field is absent when no value at its path fits the elements chosen so far.
    https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/ACFinder.java
    """
    if at == len(tied):
        return True
    hits, present, absent_ok = tied[at]
    for membership in dict.fromkeys(hits):
        merged = _merge(held, membership)
        if merged is not None and _consistent(tied, at + 1, merged):
            return True
    if absent_ok and all(_merge(held, membership) is None for membership in present):
        return _consistent(tied, at + 1, held)
    return False


def _merge(held: dict[int, int], membership: Iterable[tuple[int, int]]) -> dict[int, int] | None:
    merged = dict(held)
    for array, index in membership:
        if merged.setdefault(array, index) != index:
            return None
    return merged

"""Evaluating a compiled sub-rule against an event, with EventBridge's array consistency."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from trailguard.patterns._eventbridge_codegen import generate, read_lines
from trailguard.patterns._eventbridge_operators import ABSENT, EXISTS, Matcher
from trailguard.patterns._eventbridge_paths import (
    MISSING,
    SCALARS,
    Membership,
    collector,
    reader,
)
from trailguard.patterns._eventbridge_values import event_double, parse_ip

Rule = Callable[[Mapping[str, Any]], bool]


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
    on_str = _any_of([matcher.on_str for matcher in matchers])
    on_other = _any_of([matcher.on_other for matcher in matchers])
    on_number = _any_of([matcher.on_number for matcher in matchers])
    on_ip = _any_of([matcher.on_ip for matcher in matchers])
    numeric = any(matcher.numeric for matcher in matchers)
    ip = any(matcher.ip for matcher in matchers) and not numeric
    if on_other is _never and on_number is _never and on_ip is _never:
        if on_str is _never:
            return (lambda value: type(value) is str and value in exact) if exact else _never
        if not exact:
            return lambda value: type(value) is str and on_str(value)

    def accept(value: object) -> bool:
        if type(value) is str:
            if ip:
                address = parse_ip(value)
                if address is not None:
                    return on_ip(address)
            return value in exact or on_str(value)
        if numeric:
            number = event_double(value)
            if number is not None:
                return on_number(number)
        return on_other(value)

    return accept


def _any_of(tests: Sequence[Callable[[Any], bool] | None]) -> Callable[[Any], bool]:
    """One test that passes when any of the tests does (the common single test is returned)."""
    present = tuple(test for test in tests if test is not None)
    if not present:
        return _never
    if len(present) == 1:
        return present[0]

    def any_test(value: Any) -> bool:
        for test in present:  # noqa: SIM110 - a plain loop is faster than any() with a generator
            if test(value):
                return True
        return False

    return any_test


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
        self.matches: Rule = _generated(self.fields, subrule(self.fields))


def _generated(fields: Sequence[Field], general: Rule) -> Rule:
    """The sub-rule test as straight-line code for events whose values are single scalars.

    Any value in an array (or read through a key with a dot) hands the event to ``general``,
    which handles arrays of objects with event-ruler's consistency rule.
    """
    order = sorted(range(len(fields)), key=lambda at: _cost(fields[at]))
    body, names = read_lines([field.path for field in fields], "return general(event)")
    lines = ["def matches(event):", *body]
    names["general"] = general
    for at in order:
        field = fields[at]
        value = f"v{at}"
        exact = all(matcher.exact is not None for matcher in field.matchers)
        missing = "pass" if field.absent_ok else "return False"
        if exact:
            names[f"S{at}"] = frozenset(matcher.exact for matcher in field.matchers)
            lines += [
                f"    if type({value}) is str:",
                f"        if {value} not in S{at}:",
                "            return False",
            ]
        else:
            names[f"A{at}"] = field.accept
            lines += [
                f"    if type({value}) in SCALARS:",
                f"        if not A{at}({value}):",
                "            return False",
            ]
        lines += [
            f"    elif {value} is MISSING or type({value}) is dict:",
            f"        {missing}",
        ]
        if exact:
            lines += [f"    elif type({value}) in SCALARS:", "        return False"]
        lines += ["    else:", "        return general(event)"]
    lines.append("    return True")
    made: Rule = generate("\n".join(lines), "matches", names)
    return made


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

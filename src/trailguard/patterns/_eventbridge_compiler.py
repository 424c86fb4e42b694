"""Compile a pattern's tokens into sub-rules, as event-ruler's ``JsonRuleCompiler`` does.

A sub-rule maps a dotted field path to its list of matchers. ``$or`` forks the sub-rules built so
far, one copy per branch; a path written twice keeps its last list ("last wins").
https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/JsonRuleCompiler.java
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from trailguard.patterns._eventbridge_complexity import MAX_COMPLEXITY, complexity
from trailguard.patterns._eventbridge_eval import sort_key
from trailguard.patterns._eventbridge_json import Reader, Token, reader_for
from trailguard.patterns._eventbridge_operators import (
    OPERATORS,
    Matcher,
    exact_literal,
    exact_number,
    exact_string,
)

Fields = dict[str, list[Matcher]]
"""One sub-rule as compiled: field path -> its list of matchers."""

MAX_COMBINATIONS = 1000
MAX_FIELDS = 256
DEFAULT_MAX_LENGTH = 2048
RESERVED_IN_OR = frozenset(
    {
        "exactly",
        "equals-ignore-case",
        "prefix",
        "suffix",
        "anything-but",
        "exists",
        "wildcard",
        "numeric",
        "cidr",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    }
)
_TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)


def compile_rules(pattern: str | Mapping[str, Any], max_length: int | None) -> list[Fields]:
    """Validate a pattern and return its sub-rules, raising InvalidEventPattern like AWS."""
    if max_length is not None:
        size = len(pattern) if isinstance(pattern, str) else len(_compact(pattern))
        if size > max_length:
            Reader.fail(f"Event pattern is {size} characters long; the limit is {max_length}")
    reader = reader_for(pattern)
    if reader.next() is not Token.START_OBJECT:
        reader.fail("Filter is not an object")
    rules: list[Fields] = []
    try:
        _object(reader, rules, (), in_or=False)
    except RecursionError:
        reader.fail("Event pattern is nested too deeply")
    for rule in rules:
        if len(rule) > MAX_FIELDS:
            reader.fail(f"Size of rule exceeds max value of {MAX_FIELDS}")
    if _complexity(rules) > MAX_COMPLEXITY:
        reader.fail(_TOO_COMPLEX)
    return rules


def _compact(pattern: Mapping[str, Any]) -> str:
    try:
        return json.dumps(pattern, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return ""


def _object(reader: Reader, rules: list[Fields], path: tuple[str, ...], *, in_or: bool) -> None:
    empty = True
    while reader.next() is not Token.END_OBJECT:
        empty = False
        name = reader.name
        if name == "$or":
            _or(reader, rules, path)
            continue
        if in_or and name in RESERVED_IN_OR:
            reader.fail(f"{name} is Ruler reserved fieldName which cannot be used inside $or.")
        token = reader.next()
        if token is Token.START_OBJECT:
            _object(reader, rules, (*path, name), in_or=in_or)
        elif token is Token.START_ARRAY:
            _values(reader, rules, ".".join((*path, name)))
        else:
            reader.fail(f'"{name}" must be an object or an array')
    if empty:
        reader.fail("Empty objects are not allowed")


def _or(reader: Reader, rules: list[Fields], path: tuple[str, ...]) -> None:
    before = [dict(rule) for rule in rules]
    rules.clear()
    if reader.next() is not Token.START_ARRAY:
        reader.fail("It must be an Array followed with $or.")
    branches = 0
    while (token := reader.next()) is not Token.END_ARRAY:
        branches += 1
        if token is not Token.START_OBJECT:
            reader.fail("Only JSON object is allowed in array of $or relationship.")
        branch = [dict(rule) for rule in before] or [{}]
        _object(reader, branch, path, in_or=True)
        rules.extend(branch)
        if len(rules) > MAX_COMBINATIONS:
            # The service's limit, documented but not in event-ruler; checked early to bound work.
            reader.fail(f"The use of $or results in over {MAX_COMBINATIONS} rule combinations")
    if branches < 2:
        reader.fail("There must have at least 2 Objects in $or relationship.")


def _values(reader: Reader, rules: list[Fields], name: str) -> None:
    matchers: list[Matcher] = []
    while (token := reader.next()) is not Token.END_ARRAY:
        if token is Token.START_OBJECT:
            matchers.append(_expression(reader))
        elif token is Token.STRING:
            matchers.append(exact_string(reader.text))
        elif token is Token.NUMBER:
            matchers.append(exact_number(reader.text))
        elif token in {Token.TRUE, Token.FALSE, Token.NULL}:
            matchers.append(exact_literal(token))
        else:
            reader.fail("Match value must be String, number, true, false, or null")
    if not matchers:
        reader.fail("Empty arrays are not allowed")
    if not rules:
        rules.append({})
    for rule in rules:
        rule[name] = matchers


def _expression(reader: Reader) -> Matcher:
    if reader.next() is not Token.FIELD_NAME:
        reader.fail("Match expression name not found")
    compile_operator = OPERATORS.get(reader.name)
    if compile_operator is None:
        reader.fail(f"Unrecognized match type {reader.name}")
    return compile_operator(reader)


def _complexity(rules: Sequence[Fields]) -> int:
    """The largest wildcard complexity over the rule's byte machines.

    event-ruler keeps one byte machine per field at each point of the sorted chain of fields, so
    wildcards of different sub-rules share a machine when the fields before them are the same.
    """
    machines: dict[tuple[object, ...], dict[tuple[object, ...], Matcher]] = {}
    for rule in rules:
        chain: tuple[object, ...] = ()
        for path in sorted(rule, key=sort_key):
            matchers = rule[path]
            for matcher in matchers:
                if matcher.wildcards:
                    machines.setdefault((chain, path), {})[matcher.key] = matcher
            chain = (*chain, path, frozenset(matcher.key for matcher in matchers))
    return max(
        (
            complexity([matcher.wildcards for matcher in machine.values()])
            for machine in machines.values()
        ),
        default=0,
    )

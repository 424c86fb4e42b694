"""PatternSet's index: a small decision tree over the fields the sub-rules require.

Every sub-rule is filed under one field it cannot match without. If the field's list holds only
exact strings, prefixes and suffixes, the sub-rule goes into a table keyed by those strings;
otherwise the mere presence of the field gates it; with no such field it is always evaluated.
Groups that share a key are split again by another field, so per-account or per-region
variants of one rule cost a lookup, not an evaluation. Per event, each node reads all of its
paths at once, in generated straight-line code, and only the selected sub-rules are evaluated
in full.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trailguard.patterns._eventbridge_codegen import generate, read_lines
from trailguard.patterns._eventbridge_eval import Rule, SubRule
from trailguard.patterns._eventbridge_operators import ABSENT
from trailguard.patterns._eventbridge_paths import (
    COMPLEX,
    MISSING,
    SCALARS,
    Collector,
    Found,
    Reader,
    collector,
    reader,
)

Entries = list[tuple[int, Rule]]
Keys = frozenset[tuple[str, str]]

UNSELECTIVE = frozenset(
    {
        "version",
        "detail-type",
        "account",
        "region",
        "detail.eventType",
        "detail.eventCategory",
        "detail.awsRegion",
        "detail.recipientAccountId",
        "detail.readOnly",
        "detail.managementEvent",
    }
)
"""Paths whose few values most events share: indexed on only when nothing better exists."""


Node = Callable[[Mapping[str, Any], "set[int] | None"], "set[int] | None"]
"""One node of the tree as a function: add the numbers of matching patterns to ``found``."""


class Affixes:
    """Children of a node keyed by a prefix or a suffix of a string field."""

    __slots__ = ("prefix_sizes", "prefixes", "suffix_sizes", "suffixes")

    def __init__(self, prefixes: dict[str, Node], suffixes: dict[str, Node]) -> None:
        self.prefixes = prefixes
        self.suffixes = suffixes
        self.prefix_sizes = tuple(sorted({len(text) for text in prefixes}))
        self.suffix_sizes = tuple(sorted({len(text) for text in suffixes}))

    def matches(self, value: str) -> list[Node]:
        """The children keyed by a prefix or suffix of the value."""
        found = [self.prefixes.get(value[:size]) for size in self.prefix_sizes]
        found += [
            self.suffixes.get(value[len(value) - size :])
            for size in self.suffix_sizes
            if size <= len(value)
        ]
        return [child for child in found if child is not None]


Table = tuple[dict[str, Node], Affixes | None, Collector]
"""A keyed field of a node: children by exact value, by prefix/suffix, and the full reader."""


class Plan:
    """A node of the tree: keyed tables, presence gates, and sub-rules evaluated outright.

    ``run`` is the node as one generated function that reads all of the node's paths at once
    (see ``read_lines``); ``interpret`` does the same work path by path for events the generated
    reads cannot handle (not a dict, or keys containing dots along the way).
    """

    __slots__ = ("always", "gates", "paths", "readers", "run", "tables")

    def __init__(self) -> None:
        self.tables: list[Table] = []
        self.gates: list[tuple[Collector, Node]] = []
        self.always: Entries = []
        self.paths: list[str] = []
        self.readers: tuple[Reader, ...] = ()
        self.run: Node = self.interpret

    def interpret(self, event: Mapping[str, Any], found: set[int] | None) -> set[int] | None:
        """Evaluate the sub-rules the event reaches, reading one path at a time."""
        values = [read(event) for read in self.readers]
        keyed = values[: len(self.tables)]
        for (exact, affixes, collect), value in zip(self.tables, keyed, strict=True):
            if isinstance(value, str) and type(value) is str:
                found = _select(exact, affixes, value, event, found)
            elif value is COMPLEX or type(value) is list:
                found = _select_all(exact, affixes, collect(event), event, found)
        gated = values[len(self.tables) :]
        for (collect, child), value in zip(self.gates, gated, strict=True):
            if _present(value, collect, event):
                found = child(event, found)
        return _evaluate(self.always, event, found)


def build(
    rules: Sequence[tuple[int, SubRule]],
    preferred: Sequence[str],
    used: frozenset[str] = frozenset(),
) -> Plan:
    """Group sub-rules under the best field each requires, then split big groups again."""
    plan = Plan()
    tables: dict[str, dict[tuple[str, str], list[tuple[int, SubRule]]]] = {}
    gates: dict[str, list[tuple[int, SubRule]]] = {}
    spread = _spread(rules)
    for number, rule in rules:
        anchor = _anchor(rule, used, preferred, spread)
        if anchor is None:
            plan.always.append((number, rule.matches))
        elif anchor[1]:
            table = tables.setdefault(anchor[0], {})
            for key in anchor[1]:
                table.setdefault(key, []).append((number, rule))
        else:
            gates.setdefault(anchor[0], []).append((number, rule))

    def child(group: list[tuple[int, SubRule]], path: str) -> Node:
        if len(group) > 1 or _keyed_further(group[0][1], used | {path}, preferred):
            return build(group, preferred, used | {path}).run
        return _lone(*group[0])

    for path, table in tables.items():
        children = {key: child(group, path) for key, group in table.items()}
        by_kind: dict[str, dict[str, Node]] = {"exact": {}, "prefix": {}, "suffix": {}}
        for (kind, text), node in children.items():
            by_kind[kind][text] = node
        affixes = None
        if by_kind["prefix"] or by_kind["suffix"]:
            affixes = Affixes(by_kind["prefix"], by_kind["suffix"])
        plan.tables.append((by_kind["exact"], affixes, collector(path)))
    plan.gates = [(collector(path), child(group, path)) for path, group in gates.items()]
    plan.paths = [*tables, *gates]
    plan.readers = tuple(reader(path) for path in plan.paths)
    if plan.paths:
        plan.run = _generate(plan)
    elif plan.always:
        always = plan.always
        plan.run = lambda event, found: _evaluate(always, event, found)
    else:
        plan.run = _nothing
    return plan


def _keyed_further(rule: SubRule, used: frozenset[str], preferred: Sequence[str]) -> bool:
    """Whether a lone sub-rule has another selective keyed field: a lookup beats evaluating it."""
    anchor = _anchor(rule, used, preferred, dict.fromkeys(_keys(rule), 1))
    return anchor is not None and bool(anchor[1]) and anchor[0] not in UNSELECTIVE


def _lone(number: int, rule: SubRule) -> Node:
    """A leaf holding one sub-rule: evaluate it and record its pattern."""
    test = rule.matches

    def leaf(event: Mapping[str, Any], found: set[int] | None) -> set[int] | None:
        if test(event):
            if found is None:
                return {number}
            found.add(number)
        return found

    return leaf


def _nothing(_event: Mapping[str, Any], found: set[int] | None) -> set[int] | None:
    return found


# An exact-only table needs no type test: every scalar and MISSING is hashable and misses
# unless it is one of the strings; COMPLEX is a key of its own (see ``_exact_lookup``); a list or
# an object at the path raises TypeError and takes the same full walk.
_EXACT = """\
    try:
        child = E{n}.get({v})
    except TypeError:
        child = E{n}[COMPLEX]
    if child is not None:
        found = child(event, found)"""
_AFFIXED = """\
    if {v} is MISSING:
        pass
    elif type({v}) is str:
        child = E{n}.get({v})
        if child is not None:
            found = child(event, found){affixes}
    elif {v} is COMPLEX or type({v}) is list:
        found = E{n}[COMPLEX](event, found)"""
_MANY_AFFIXES = """
        for child in A{n}.matches({v}):
            found = child(event, found)"""
# A few prefixes or suffixes are tested in place: cheaper than slicing and looking up.
_ONE_AFFIX = """
        if {v}.{test}(T{n}_{k}):
            found = N{n}_{k}(event, found)"""
_GATE = """\
    if {v} is not MISSING and (
        type({v}) in SCALARS or (type({v}) is not dict and C{n}(event))
    ):
        found = G{n}(event, found)"""


def _generate(plan: Plan) -> Node:
    """The node as straight-line code: read every path, look the values up, recurse."""
    body, names = _dispatch(plan, "return interpret(event, found)")
    names.update(interpret=plan.interpret)
    source = "\n".join(["def node(event, found):", *body, "    return found"])
    node: Node = generate(source, "node", names)
    return node


def matcher(
    plan: Plan, labels: Sequence[str], general: Callable[[Any], list[str]]
) -> Callable[[Any], list[str]]:
    """PatternSet.matching for a plan: the root node inlined, answering with pattern names.

    Events the inlined reads cannot handle (not a dict, keys with dots in the way) go to
    ``general``; events nested deeper than Python's recursion limit match nothing.
    """
    body, names = _dispatch(plan, "return general(event)")
    names.update(general=general, LABELS=tuple(labels))
    lines = [
        "def matching(event):",
        "    found = None",
        "    try:",
        *(f"    {line}" for chunk in body for line in chunk.split("\n")),
        "    except RecursionError:",
        "        return []",
        "    if found is None:",
        "        return []",
        "    return [LABELS[number] for number in sorted(found)]",
    ]
    made: Callable[[Any], list[str]] = generate("\n".join(lines), "matching", names)
    return made


def _dispatch(plan: Plan, bail: str) -> tuple[list[str], dict[str, Any]]:
    """Source lines reading a node's paths and updating ``found``, with the names they use."""
    # Exact tables treat None like MISSING (neither is a string key), so those reads skip it.
    plain = [number for number, (_, affixes, _) in enumerate(plan.tables) if affixes is None]
    body, names = read_lines(plan.paths, bail, plain)
    names.update(evaluate=_evaluate)
    for number, (exact, affixes, collect) in enumerate(plan.tables):
        names.update({f"E{number}": _exact_lookup(exact, affixes, collect), f"A{number}": affixes})
        value = f"v{number}"
        if affixes is None:
            body.append(_EXACT.format(n=number, v=value))
            continue
        tests = [("startswith", text, node) for text, node in affixes.prefixes.items()]
        tests += [("endswith", text, node) for text, node in affixes.suffixes.items()]
        if len(tests) > 4:
            more = _MANY_AFFIXES.format(n=number, v=value)
        else:
            more = ""
            for index, (test, text, node) in enumerate(tests):
                names.update({f"T{number}_{index}": text, f"N{number}_{index}": node})
                more += _ONE_AFFIX.format(n=number, v=value, test=test, k=index)
        body.append(_AFFIXED.format(n=number, v=value, affixes=more))
    for number, (collect, child) in enumerate(plan.gates, start=len(plan.tables)):
        names.update({f"C{number}": collect, f"G{number}": child})
        body.append(_GATE.format(n=number, v=f"v{number}"))
    if plan.always:
        names["ALWAYS"] = plan.always
        body.append("    found = evaluate(ALWAYS, event, found)")
    return body, names


def _exact_lookup(
    exact: dict[str, Node], affixes: Affixes | None, collect: Collector
) -> dict[object, Node]:
    """The exact table plus an entry under COMPLEX that walks a path holding several values."""

    def every_value(event: Mapping[str, Any], found: set[int] | None) -> set[int] | None:
        return _select_all(exact, affixes, collect(event), event, found)

    lookup: dict[object, Node] = {COMPLEX: every_value}
    lookup.update(exact)
    return lookup


def _keys(rule: SubRule) -> dict[str, Keys]:
    """The fields of a sub-rule whose whole list can be indexed, with their keys."""
    found: dict[str, Keys] = {}
    for field in rule.fields:
        keys = [matcher.index_key for matcher in field.matchers]
        if all(key is not None for key in keys):
            found[field.path] = frozenset(key for key in keys if key is not None)
    return found


def _spread(rules: Sequence[tuple[int, SubRule]]) -> dict[str, int]:
    """How many different keys each path has across the rules (more keys, more selective)."""
    keys: dict[str, set[tuple[str, str]]] = {}
    for _, rule in rules:
        for path, found in _keys(rule).items():
            keys.setdefault(path, set()).update(found)
    return {path: len(found) for path, found in keys.items()}


def _anchor(
    rule: SubRule, used: frozenset[str], preferred: Sequence[str], spread: dict[str, int]
) -> tuple[str, Keys] | None:
    """The field to file a sub-rule under, with its keys (empty for a presence gate).

    Preference: exact keys on ``preferred`` paths, then on other paths; the same with prefixes
    and suffixes (they cost a few slices per event); presence of a field most events lack; keys
    on paths every event has (account, region ...); and at the top only, presence of a field
    every event has.
    """
    best: tuple[tuple[object, ...], str, Keys] | None = None
    indexable = _keys(rule)
    for field in rule.fields:
        path = field.path
        if path in used or ABSENT in field.matchers:
            continue
        common = path in preferred or path in UNSELECTIVE
        keys = indexable.get(path, frozenset())
        if keys:
            affixed = any(kind != "exact" for kind, _ in keys)
            if path in preferred:
                score: tuple[object, ...] = (2 * affixed, list(preferred).index(path))
            elif path in UNSELECTIVE:
                score = (5, affixed, -spread[path], len(keys))
            else:
                score = (1 + 2 * affixed, -spread[path], len(keys))
        elif common and used:
            continue
        else:
            score = (6 if common else 4, -path.count("."))
        if best is None or (score, path) < (best[0], best[1]):
            best = (score, path, keys)
    return None if best is None else (best[1], best[2])


def _present(value: object, collect: Collector, event: Mapping[str, Any]) -> bool:
    if type(value) in SCALARS:
        return True
    return value is not MISSING and type(value) is not dict and bool(collect(event))


def _select(
    exact: dict[str, Node],
    affixes: Affixes | None,
    value: str,
    event: Mapping[str, Any],
    found: set[int] | None,
) -> set[int] | None:
    child = exact.get(value)
    if child is not None:
        found = child(event, found)
    if affixes is not None:
        for child in affixes.matches(value):
            found = child(event, found)
    return found


def _select_all(
    exact: dict[str, Node],
    affixes: Affixes | None,
    values: Found,
    event: Mapping[str, Any],
    found: set[int] | None,
) -> set[int] | None:
    """The keyed lookup for every string at a path that holds several."""
    for item in {item for item, _ in values if type(item) is str}:
        assert isinstance(item, str)
        found = _select(exact, affixes, item, event, found)
    return found


def _evaluate(
    entries: Entries, event: Mapping[str, Any], found: set[int] | None
) -> set[int] | None:
    """Evaluate sub-rules in full, skipping patterns already found."""
    for number, test in entries:
        if (found is None or number not in found) and test(event):
            if found is None:
                found = set()
            found.add(number)
    return found

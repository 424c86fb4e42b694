"""PatternSet's index: a small decision tree over the fields the sub-rules require.

Every sub-rule is filed under one field it cannot match without. If the field's list holds only
exact strings, prefixes and suffixes, the sub-rule goes into a table keyed by those strings;
otherwise the mere presence of the field gates it; with no such field it is always evaluated.
Groups that share a key are split again by another field, so per-account or per-region
variants of one rule cost a lookup, not an evaluation. Per event, each node reads all of its
paths at once (``probe``) and only the selected sub-rules are evaluated in full.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trailguard.patterns._eventbridge_eval import (
    COMPLEX,
    MISSING,
    SCALARS,
    Collector,
    Found,
    Probe,
    Rule,
    SubRule,
    collector,
    probe,
    reader,
)
from trailguard.patterns._eventbridge_operators import ABSENT

Entries = list[tuple[int, Rule]]
Reader = Callable[[Mapping[str, Any]], object]
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


class Affixes:
    """Children of a node keyed by a prefix or a suffix of a string field."""

    __slots__ = ("prefix_sizes", "prefixes", "suffix_sizes", "suffixes")

    def __init__(self, children: Mapping[tuple[str, str], Plan]) -> None:
        self.prefixes = {text: plan for (kind, text), plan in children.items() if kind == "prefix"}
        self.suffixes = {text: plan for (kind, text), plan in children.items() if kind == "suffix"}
        self.prefix_sizes = tuple(sorted({len(text) for text in self.prefixes}))
        self.suffix_sizes = tuple(sorted({len(text) for text in self.suffixes}))

    def matches(self, value: str) -> list[Plan]:
        """The children keyed by a prefix or suffix of the value."""
        found = [self.prefixes.get(value[:size]) for size in self.prefix_sizes]
        found += [
            self.suffixes.get(value[len(value) - size :])
            for size in self.suffix_sizes
            if size <= len(value)
        ]
        return [child for child in found if child is not None]


Table = tuple[dict[str, "Plan"], Affixes | None, Collector]
"""A keyed field of a node: children by exact value, by prefix/suffix, and the full reader."""


class Plan:
    """A node of the tree: keyed tables, presence gates, and sub-rules evaluated outright.

    ``probe`` reads every anchor path of the node at once (tables first, then gates);
    ``readers`` do the same one path at a time when the probe cannot.
    """

    __slots__ = ("always", "gates", "probe", "readers", "tables")

    def __init__(self) -> None:
        self.tables: list[Table] = []
        self.gates: list[tuple[Collector, Plan]] = []
        self.always: Entries = []
        self.readers: tuple[Reader, ...] = ()
        self.probe: Probe | None = None


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

    def child(group: list[tuple[int, SubRule]], path: str) -> Plan:
        if len(group) > 1:
            return build(group, preferred, used | {path})
        leaf = Plan()
        leaf.always = [(number, rule.matches) for number, rule in group]
        return leaf

    for path, table in tables.items():
        children = {key: child(group, path) for key, group in table.items()}
        exact = {text: plan for (kind, text), plan in children.items() if kind == "exact"}
        affixed = len(exact) < len(children)
        plan.tables.append((exact, Affixes(children) if affixed else None, collector(path)))
    plan.gates = [(collector(path), child(group, path)) for path, group in gates.items()]
    paths = [*tables, *gates]
    if paths:
        plan.readers = tuple(reader(path) for path in paths)
        plan.probe = probe(paths)
    return plan


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


def run(plan: Plan, event: Mapping[str, Any], found: set[int] | None) -> set[int] | None:
    """Evaluate the sub-rules the event reaches; add the numbers of matching patterns."""
    if plan.probe is not None:
        values = plan.probe(event)
        if values is None:
            values = tuple(read(event) for read in plan.readers)
        at = 0
        for exact, affixes, collect in plan.tables:
            value = values[at]
            at += 1
            if type(value) is str:
                child = exact.get(value)  # type: ignore[call-overload]
                if child is not None:
                    found = run(child, event, found)
                if affixes is not None:
                    for child in affixes.matches(value):  # type: ignore[arg-type]
                        found = run(child, event, found)
            elif value is COMPLEX or type(value) is list:
                found = _select_all(exact, affixes, collect(event), event, found)
        for collect, child in plan.gates:
            value = values[at]
            at += 1
            if type(value) in SCALARS or (
                    value is not MISSING and type(value) is not dict and collect(event)
                ):
                    found = run(child, event, found)
    for number, test in plan.always:
        if (found is None or number not in found) and test(event):
            if found is None:
                found = set()
            found.add(number)
    return found


def _select_all(
    exact: dict[str, Plan],
    affixes: Affixes | None,
    values: Found,
    event: Mapping[str, Any],
    found: set[int] | None,
) -> set[int] | None:
    """Like the keyed lookup in ``run``, for every string at a path that holds several."""
    for item in {item for item, _ in values if type(item) is str}:
        assert isinstance(item, str)
        children = [exact[item]] if item in exact else []
        if affixes is not None:
            children += affixes.matches(item)
        for child in children:
            found = run(child, event, found)
    return found

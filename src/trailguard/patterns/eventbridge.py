"""EventBridge event patterns, matched offline exactly as EventBridge matches them.

``compile_pattern`` validates a pattern the way ``PutRule`` / ``TestEventPattern`` do and raises
``InvalidEventPattern`` with AWS's reason text. ``EventPattern.matches`` then tests events and
never raises. ``PatternSet`` matches many named patterns at once, indexing them on the exact
values they require so that each event is fully evaluated only against likely candidates.

The semantics follow AWS's recorded behaviour and aws/event-ruler, the library EventBridge runs:
https://github.com/aws/event-ruler; deviations are listed in docs/eventbridge-deviations.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from trailguard.patterns._eventbridge_compiler import DEFAULT_MAX_LENGTH, Fields, compile_rules
from trailguard.patterns._eventbridge_eval import SubRule
from trailguard.patterns._eventbridge_index import Plan, build, matcher
from trailguard.patterns._eventbridge_paths import parse_event

__all__ = ["DEFAULT_INDEX_PATHS", "EventPattern", "PatternSet", "compile_pattern"]

DEFAULT_INDEX_PATHS = ("detail.eventName", "detail.eventSource", "source")
"""Paths PatternSet prefers to index on, most selective first (CloudTrail envelopes)."""


def compile_pattern(
    pattern: str | Mapping[str, Any], *, max_length: int | None = DEFAULT_MAX_LENGTH
) -> EventPattern:
    """Compile an event pattern (JSON text or a parsed mapping), validating it as AWS does.

    ``max_length`` is the "Event pattern size" quota (2,048 characters by default, adjustable in
    Service Quotas); None disables the check. A mapping is measured as compact JSON.
    """
    rules = compile_rules(pattern, max_length)
    text = pattern if isinstance(pattern, str) else json.dumps(pattern, default=repr)
    return EventPattern(text, rules)


class EventPattern:
    """A compiled EventBridge event pattern; build it with ``compile_pattern``."""

    __slots__ = ("_rules", "_tests", "text")

    def __init__(self, text: str, rules: Sequence[Fields]) -> None:
        self.text = text
        self._rules = tuple(SubRule(rule) for rule in rules)
        self._tests = tuple(rule.matches for rule in self._rules)

    def __repr__(self) -> str:
        return f"EventPattern({self.text!r})"

    @property
    def paths(self) -> frozenset[str]:
        """Every field path the pattern reads (``detail.eventName``), in any ``$or`` branch."""
        return frozenset(field.path for rule in self._rules for field in rule.fields)

    def matches(self, event: Mapping[str, Any] | str) -> bool:
        """Whether the event (a mapping or JSON text) matches; False for anything unreadable."""
        candidate = _as_event(event)
        if candidate is None:
            return False
        try:
            return any(test(candidate) for test in self._tests)
        except RecursionError:
            return False


def _as_event(event: object) -> Mapping[str, Any] | None:
    if type(event) is dict or isinstance(event, Mapping):
        return event
    if isinstance(event, str):
        return parse_event(event)
    return None


class PatternSet:
    """Many named patterns matched together; cost grows little with the number of patterns.

    Each sub-rule is filed under a field it requires (``index_paths`` are preferred, in order):
    by its exact strings, prefixes or suffixes when it has only those, else by the field's
    presence. Per event, each indexed path is read once and only the sub-rules it selects are
    evaluated (see ``_eventbridge_index``).
    """

    def __init__(
        self,
        patterns: Mapping[str, EventPattern | str | Mapping[str, Any]] | None = None,
        *,
        index_paths: Sequence[str] = DEFAULT_INDEX_PATHS,
    ) -> None:
        self._patterns: dict[str, EventPattern] = {}
        self._index_paths = tuple(index_paths)
        self._plan: Plan | None = None
        self._names: list[str] = []
        for name, pattern in (patterns or {}).items():
            self.add(name, pattern)

    def __len__(self) -> int:
        return len(self._patterns)

    def __iter__(self) -> Iterator[str]:
        return iter(self._patterns)

    def __contains__(self, name: object) -> bool:
        return name in self._patterns

    def __getitem__(self, name: str) -> EventPattern:
        return self._patterns[name]

    def add(self, name: str, pattern: EventPattern | str | Mapping[str, Any]) -> None:
        """Add (or replace) a named pattern; text and mappings are compiled here."""
        compiled = pattern if isinstance(pattern, EventPattern) else compile_pattern(pattern)
        self._patterns[name] = compiled
        self._plan = None
        self.__dict__.pop("matching", None)

    def matching(self, event: Mapping[str, Any] | str) -> list[str]:
        """Names of the patterns the event matches, in the order they were added."""
        return self._compile()(event)

    def prepare(self) -> None:
        """Build the index and its generated code now rather than at the first event.

        Processes forked afterwards then share the result instead of each building it again.
        """
        if "matching" not in self.__dict__:
            self._compile()

    def _compile(self) -> Callable[[Any], list[str]]:
        plan = self._plan or self._build()
        fast = matcher(plan, list(self._patterns), self._general)
        # Instances then call the generated function straight away: it runs once per event,
        # and a method call around it would cost a tenth of its time. add() removes it.
        self.__dict__["matching"] = fast
        return fast

    def _general(self, event: object) -> list[str]:
        """matching() for what the generated code does not read: text, mappings, dotted keys."""
        plan = self._plan or self._build()
        candidate = _as_event(event)
        if candidate is None:
            return []
        try:
            found = plan.run(candidate, None)
        except RecursionError:
            return []
        names = self._names
        return [names[number] for number in sorted(found or ())]

    def _build(self) -> Plan:
        self._names = list(self._patterns)
        rules = [
            (number, rule)
            for number, pattern in enumerate(self._patterns.values())
            for rule in pattern._rules  # noqa: SLF001 - the set and the pattern work together
        ]
        self._plan = build(rules, self._index_paths)
        return self._plan

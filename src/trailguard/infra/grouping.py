"""Many rules' event patterns merged with ``$or`` into as few EventBridge rules as fit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from trailguard.errors import ConfigError, InvalidEventPattern
from trailguard.infra.coverage import reads_read_only
from trailguard.patterns.eventbridge import compile_pattern
from trailguard.rules.export import ALL_MANAGEMENT_EVENTS
from trailguard.rules.model import Rule


def pattern_groups(rules: Sequence[Rule]) -> list[tuple[str, dict[str, Any], list[str]]]:
    """The rules' patterns merged with ``$or`` into as few EventBridge rules as the limits allow.

    Returns (state, pattern, rule ids) per EventBridge rule. Rules that need read-only events get
    their own groups in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS; rules of one source stay
    together. Each group is checked by our EventBridge compiler, which enforces AWS's size
    (2,048 characters) and ``$or`` limits. An event that matches rules in two groups reaches the
    function twice; the handler's delivery state sends each (rule, event, destination) once.
    """
    groups: list[tuple[str, dict[str, Any], list[str]]] = []
    for state in ("ENABLED", ALL_MANAGEMENT_EVENTS):
        members = sorted(
            (
                rule
                for rule in rules
                if rule.eventbridge is not None
                and (reads_read_only(rule.eventbridge) == (state == ALL_MANAGEMENT_EVENTS))
            ),
            key=_by_source,
        )
        current: list[Rule] = []
        for rule in members:
            if current and not _fits([*current, rule]):
                groups.append((state, _union(current), [r.id for r in current]))
                current = []
            if not _fits([rule]):
                raise ConfigError(
                    f"rule {rule.id}: its event pattern alone exceeds EventBridge's limits",
                    location=rule.location,
                )
            current.append(rule)
        if current:
            groups.append((state, _union(current), [r.id for r in current]))
    return groups


def _by_source(rule: Rule) -> tuple[str, str]:
    """Rules of one event source side by side, so an event seldom matches two merged rules."""
    source = (rule.eventbridge or {}).get("source")
    return (json.dumps(source, sort_keys=True) if source else "~", rule.id)


def _union(rules: Sequence[Rule]) -> dict[str, Any]:
    patterns = [dict(rule.eventbridge or {}) for rule in rules]
    return patterns[0] if len(patterns) == 1 else {"$or": patterns}


def _fits(rules: Sequence[Rule]) -> bool:
    try:
        compile_pattern(_union(rules))
    except InvalidEventPattern:
        return False
    return True

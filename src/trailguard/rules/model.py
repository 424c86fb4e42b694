"""The rule model: what a detection rule is once its YAML file has been checked and compiled."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from fnmatch import fnmatchcase
from typing import Any

from trailguard.errors import Location
from trailguard.events import from_envelope, to_envelope
from trailguard.patterns.eventbridge import EventPattern
from trailguard.patterns.logs_filter import FilterPattern


class Severity(IntEnum):
    """How urgent an alert is; ordered, so ``--min-severity high`` is a comparison."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``"high"`` -> ``Severity.HIGH``; raises ValueError naming the choices."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r}; choose one of {choices}") from None

    def __str__(self) -> str:
        return self.name.lower()


_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> int:
    """Seconds in ``300``, ``"300s"``, ``"5m"``, ``"1h"`` or ``"1d"``; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")  # noqa: TRY004 - a config value's error
    if isinstance(value, int):
        seconds = value
    else:
        found = _DURATION.match(str(value))
        if not found:
            raise ValueError(f"not a duration: {value!r} (use seconds, or 30s, 5m, 1h, 1d)")
        seconds = int(found.group(1)) * _SECONDS[found.group(2)]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, not {value!r}")
    return seconds


@dataclass(frozen=True)
class Threshold:
    """Alert only when ``count`` matches fall within ``window`` seconds for the same group."""

    count: int
    window: int
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dedupe:
    """Alert once per ``keys`` values within ``window`` seconds."""

    window: int
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Examples:
    """Records a rule must match and must not match (``rules test`` checks both)."""

    match: tuple[Mapping[str, Any], ...] = ()
    no_match: tuple[Mapping[str, Any], ...] = ()
    match_lines: tuple[int | None, ...] = ()
    no_match_lines: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One detection rule: metadata, its compiled patterns, and its own examples."""

    id: str
    title: str
    severity: Severity
    description: str = ""
    runbook: str | None = None
    tags: tuple[str, ...] = ()
    eventbridge: Mapping[str, Any] | None = None
    logs_filter: str | None = None
    threshold: Threshold | None = None
    dedupe: Dedupe | None = None
    title_template: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    examples: Examples = field(default_factory=Examples)
    location: Location | None = None
    compiled_eventbridge: EventPattern | None = field(default=None, compare=False, repr=False)
    compiled_logs_filter: FilterPattern | None = field(default=None, compare=False, repr=False)

    def matches_eventbridge(self, event: Mapping[str, Any]) -> bool | None:
        """The EventBridge pattern's verdict on a record or envelope; None without one."""
        if self.compiled_eventbridge is None:
            return None
        return self.compiled_eventbridge.matches(to_envelope(event))

    def matches_logs_filter(self, event: Mapping[str, Any]) -> bool | None:
        """The CloudWatch Logs filter's verdict on the record's JSON line; None without one."""
        if self.compiled_logs_filter is None:
            return None
        return self.compiled_logs_filter.matches_parsed(from_envelope(event))

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether an event matches the EventBridge pattern, or the filter when there is none."""
        verdict = self.matches_eventbridge(event)
        if verdict is None:
            verdict = self.matches_logs_filter(event)
        return bool(verdict)

    def has_tag(self, wanted: str) -> bool:
        """Whether a tag equals ``wanted`` or starts with ``wanted:`` (``cis-aws-foundations``)."""
        return any(tag == wanted or tag.startswith(wanted + ":") for tag in self.tags)


def selects(rule: Rule, selectors: Sequence[str]) -> bool:
    """Whether a rule is named by any selector: its id (globs allowed) or one of its tags."""
    return any(fnmatchcase(rule.id, s) or rule.has_tag(s) for s in selectors)

"""Where rules meet events: a RuleSet compiled once, matched against many events.

Rules with an EventBridge pattern are matched together through one ``PatternSet`` on the
envelope EventBridge would deliver; rules with only a CloudWatch Logs filter are matched on the
record itself. Threshold rules count matches per group within a sliding window.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from trailguard.alerts import Alert
from trailguard.events import CloudTrailEvent, to_envelope
from trailguard.patterns.eventbridge import PatternSet
from trailguard.rules.model import Rule


class RuleSet:
    """Rules compiled into one matcher."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: dict[str, Rule] = {rule.id: rule for rule in rules}
        self._patterns = PatternSet(
            {r.id: r.compiled_eventbridge for r in rules if r.compiled_eventbridge is not None}
        )
        self._filter_only = [r for r in rules if r.compiled_eventbridge is None]

    def __len__(self) -> int:
        return len(self.rules)

    def matching(self, event: Mapping[str, Any]) -> list[Rule]:
        """The rules one record or envelope matches, in the order the rules were given."""
        envelope = to_envelope(event)
        found = [self.rules[name] for name in self._patterns.matching(envelope)]
        if self._filter_only:
            record = envelope["detail"]
            found.extend(r for r in self._filter_only if r.matches_logs_filter(record))
        return found


def group_key(event: Mapping[str, Any], paths: Sequence[str]) -> tuple[str, ...]:
    """The values of dotted record paths (``userIdentity.arn``), as strings; "" when absent."""
    values: list[str] = []
    for path in paths:
        value: Any = event
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        values.append("" if value is None else str(value))
    return tuple(values)


class ThresholdTracker:
    """Counts a threshold rule's matches per group in a sliding window; feed in time order.

    When ``count`` matches of one group fall within ``window`` seconds, one alert is raised by
    the match that reached the count, and counting for that group starts again.
    """

    def __init__(self) -> None:
        self._windows: dict[tuple[str, tuple[str, ...]], deque[tuple[float, CloudTrailEvent]]] = {}

    def observe(self, rule: Rule, event: CloudTrailEvent) -> Alert | None:
        """Count one match; the alert if it completes a burst."""
        threshold = rule.threshold
        moment = event.event_time
        if threshold is None or moment is None:
            return None
        key = (rule.id, group_key(event.record, threshold.group_by))
        window = self._windows.setdefault(key, deque())
        now = moment.timestamp()
        window.append((now, event))
        while window and window[0][0] <= now - threshold.window:
            window.popleft()
        if len(window) < threshold.count:
            return None
        related = tuple(e for _, e in window)
        window.clear()
        return Alert.from_match(rule, event, related=related)


class TimeOrderedThresholds:
    """Threshold matches that arrive out of order, counted in eventTime order.

    Matches wait in a heap until ``release(watermark)`` says no earlier event can still arrive;
    then they are counted in (eventTime, eventID) order. Memory holds only the matches newer than
    the watermark. A match older than what was already released is counted on arrival and
    reported in ``late``.
    """

    def __init__(self, rules: Mapping[str, Rule]) -> None:
        self._rules = rules
        self._tracker = ThresholdTracker()
        self._waiting: list[tuple[str, str, int, str, Mapping[str, Any]]] = []
        self._arrivals = 0
        self._released_until = ""
        self.late = 0

    def add(self, rule_id: str, record: Mapping[str, Any]) -> Alert | None:
        """Queue one match; a late one is counted at once (its alert, if any, is returned)."""
        event_time = str(record.get("eventTime", ""))
        if event_time < self._released_until:
            self.late += 1
            return self._tracker.observe(self._rules[rule_id], CloudTrailEvent(record))
        # The arrival number breaks ties, so records (dicts) are never compared.
        self._arrivals += 1
        entry = (event_time, str(record.get("eventID", "")), self._arrivals, rule_id, record)
        heapq.heappush(self._waiting, entry)
        return None

    def release(self, watermark: str | None = None) -> Iterator[Alert]:
        """Count every queued match before ``watermark`` (all of them when None), in order."""
        waiting = self._waiting
        while waiting and (watermark is None or waiting[0][0] < watermark):
            event_time, _, _, rule_id, record = heapq.heappop(waiting)
            self._released_until = max(self._released_until, event_time)
            alert = self._tracker.observe(self._rules[rule_id], CloudTrailEvent(record))
            if alert is not None:
                yield alert


def detect(rule_set: RuleSet, events: Iterable[Mapping[str, Any]]) -> Iterator[Alert]:
    """Alerts for a stream of events, thresholds counted in the order events arrive."""
    tracker = ThresholdTracker()
    for raw in events:
        rules = rule_set.matching(raw)
        if not rules:
            continue
        event = CloudTrailEvent(raw)
        for rule in rules:
            alert = (
                tracker.observe(rule, event) if rule.threshold else Alert.from_match(rule, event)
            )
            if alert is not None:
                yield alert

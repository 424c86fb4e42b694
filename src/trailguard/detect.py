"""Where rules meet events: a RuleSet compiled once, matched against many events.

Rules with an EventBridge pattern are matched together through one ``PatternSet`` on the
envelope EventBridge would deliver; rules with only a CloudWatch Logs filter are matched on the
record itself. Threshold rules count matches per group within a sliding window.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

import orjson

from trailguard.alerts import Alert
from trailguard.events import (
    LEAN_ENVELOPE_FIELDS,
    CloudTrailEvent,
    Envelope,
    Record,
    is_envelope,
    lean_envelope,
    parse_event_time,
    to_envelope,
)
from trailguard.patterns.eventbridge import PatternSet
from trailguard.rules.model import Rule, Threshold

T = TypeVar("T")


class RuleSet:
    """Rules compiled into one matcher."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules: dict[str, Rule] = {rule.id: rule for rule in rules}
        patterns = {
            r.id: r.compiled_eventbridge for r in rules if r.compiled_eventbridge is not None
        }
        self._patterns = PatternSet(patterns)
        self._patterns.prepare()  # once here, not in every process a scan forks
        self._filter_only = [r for r in rules if r.compiled_eventbridge is None]
        top_level = {path.split(".", 1)[0] for p in patterns.values() for path in p.paths}
        self._envelope: Callable[[Record], Envelope] = (
            lean_envelope if top_level <= LEAN_ENVELOPE_FIELDS else to_envelope
        )

    def __len__(self) -> int:
        return len(self.rules)

    def matching(self, event: Mapping[str, Any]) -> list[Rule]:
        """The rules one record or envelope matches, in the order the rules were given."""
        if "detail-type" in event and is_envelope(event):
            return self._matching(event, event["detail"])
        return self.matching_record(event)

    def matching_record(self, record: Record) -> list[Rule]:
        """``matching`` for a bare CloudTrail record (not an envelope): the per-record hot path."""
        return self._matching(self._envelope(record), record)

    def match_records(
        self, records: Iterable[object], keep: Callable[[Record], bool] | None = None
    ) -> tuple[int, list[tuple[Record, list[Rule]]]]:
        """Match the bare records of a trail file (items that are not objects are skipped).

        Returns how many records were matched (those ``keep`` accepts) and, for each record that
        matched any rule, the record and its rules. This is the scan's inner loop, written out
        so that each record costs two calls.
        """
        envelope, patterns, rules = self._envelope, self._patterns.matching, self.rules
        filter_only = self._filter_only
        count = 0
        found: list[tuple[Record, list[Rule]]] = []
        for record in records:
            if type(record) is not dict or (keep is not None and not keep(record)):
                continue
            count += 1
            names = patterns(envelope(record))
            if names or filter_only:
                matched = [rules[name] for name in names]
                matched += [rule for rule in filter_only if rule.matches_logs_filter(record)]
                if matched:
                    found.append((record, matched))
        return count, found

    def _matching(self, envelope: Envelope, record: Record) -> list[Rule]:
        names = self._patterns.matching(envelope)
        found = [self.rules[name] for name in names] if names else []
        if self._filter_only:
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


class SlidingWindows(Generic[T]):
    """Counts items per (rule, group) in a sliding window of event time; feed in time order.

    When ``count`` items of one group fall within ``window`` seconds, the burst is returned by
    the item that reached the count, and counting for that group starts again.
    """

    def __init__(self) -> None:
        self._windows: dict[tuple[str, tuple[str, ...]], deque[tuple[float, T]]] = {}

    def add(
        self, rule_id: str, threshold: Threshold, group: tuple[str, ...], moment: float, item: T
    ) -> list[T] | None:
        """Count ``item`` at ``moment`` (POSIX seconds); the burst's items if it completes one."""
        window = self._windows.get((rule_id, group))
        if window is None:
            window = self._windows[rule_id, group] = deque()
        window.append((moment, item))
        while window[0][0] <= moment - threshold.window:
            window.popleft()
        if len(window) < threshold.count:
            return None
        burst = [item for _, item in window]
        window.clear()
        return burst


class ThresholdTracker:
    """Counts a threshold rule's matches per group in a sliding window; feed in time order."""

    def __init__(self) -> None:
        self._windows: SlidingWindows[CloudTrailEvent] = SlidingWindows()

    def observe(self, rule: Rule, event: CloudTrailEvent) -> Alert | None:
        """Count one match; the alert if it completes a burst."""
        threshold = rule.threshold
        moment = event.event_time
        if threshold is None or moment is None:
            return None
        group = group_key(event.record, threshold.group_by)
        burst = self._windows.add(rule.id, threshold, group, moment.timestamp(), event)
        if burst is None:
            return None
        return Alert.from_match(rule, event, related_event_ids=[e.event_id for e in burst])


class ThresholdMatch(NamedTuple):
    """A threshold rule's match, reduced to what counting needs, with the record as JSON.

    Scans send these between processes and hold them until they can be counted in order: only
    the record of a match that completes a burst is ever parsed again.
    """

    event_time: str
    event_id: str
    rule_id: str
    group: tuple[str, ...]
    moment: float
    record: bytes


def threshold_matches(rules: Sequence[Rule], record: Record) -> list[ThresholdMatch]:
    """The matches of the threshold ``rules`` on one record; none if its eventTime is invalid.

    The rules share one copy of the record's JSON.
    """
    moment = parse_event_time(record.get("eventTime"))
    if moment is None:
        return []
    event_time, event_id = str(record.get("eventTime", "")), str(record.get("eventID", ""))
    seconds, text = moment.timestamp(), orjson.dumps(record)
    return [
        ThresholdMatch(
            event_time, event_id, rule.id, group_key(record, rule.threshold.group_by), seconds, text
        )
        for rule in rules
        if rule.threshold is not None
    ]


class TimeOrderedThresholds:
    """Threshold matches that arrive out of order, counted in eventTime order.

    Matches wait in a heap until ``release(watermark)`` says no earlier event can still arrive;
    then they are counted in (eventTime, eventID) order. Memory holds only the matches newer than
    the watermark. A match older than what was already released is counted on arrival and
    reported in ``late``.
    """

    def __init__(self, rules: Mapping[str, Rule]) -> None:
        self._rules = rules
        self._windows: SlidingWindows[ThresholdMatch] = SlidingWindows()
        self._waiting: list[tuple[str, str, int, ThresholdMatch]] = []
        self._arrivals = 0
        self._released_until = ""
        self.late = 0

    def add(self, match: ThresholdMatch) -> Alert | None:
        """Queue one match; a late one is counted at once (its alert, if any, is returned)."""
        if match.event_time < self._released_until:
            self.late += 1
            return self._count(match)
        # The arrival number breaks ties, so matches are never compared past it.
        self._arrivals += 1
        heapq.heappush(self._waiting, (match.event_time, match.event_id, self._arrivals, match))
        return None

    def release(self, watermark: str | None = None) -> Iterator[Alert]:
        """Count every queued match before ``watermark`` (all of them when None), in order."""
        waiting = self._waiting
        while waiting and (watermark is None or waiting[0][0] < watermark):
            event_time, _, _, match = heapq.heappop(waiting)
            self._released_until = max(self._released_until, event_time)
            alert = self._count(match)
            if alert is not None:
                yield alert

    def _count(self, match: ThresholdMatch) -> Alert | None:
        rule = self._rules[match.rule_id]
        assert rule.threshold is not None
        burst = self._windows.add(match.rule_id, rule.threshold, match.group, match.moment, match)
        if burst is None:
            return None
        event = CloudTrailEvent(orjson.loads(match.record))
        return Alert.from_match(rule, event, related_event_ids=[m.event_id for m in burst])


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

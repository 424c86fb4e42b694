"""Summaries of search results: who, which key, what, from where, and which errors.

Counts by principal, access key, event name, source IP, region and error code, each with the
first and last time it was seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from trailguard.events import CloudTrailEvent

Record = Mapping[str, Any]


def principal_key(record: Record) -> str:
    """Who acted, for grouping: the caller's ARN, else a short name (service, failed sign-in)."""
    event = CloudTrailEvent(record)
    return event.principal_arn or event.principal


def _top_level(key: str) -> Callable[[Record], str]:
    def value(record: Record) -> str:
        found = record.get(key)
        return found if isinstance(found, str) else ""

    return value


DIMENSIONS: dict[str, Callable[[Record], str]] = {
    "principal": principal_key,
    "accessKeyId": lambda record: CloudTrailEvent(record).access_key_id,
    "eventName": _top_level("eventName"),
    "sourceIPAddress": _top_level("sourceIPAddress"),
    "awsRegion": _top_level("awsRegion"),
    "errorCode": _top_level("errorCode"),
}
"""What a summary counts by, in the order it is shown; events without a value are not counted."""


@dataclass
class Tally:
    """How often one value was seen, and when first and last (CloudTrail time strings)."""

    count: int = 0
    first_seen: str = ""
    last_seen: str = ""

    def add(self, event_time: str) -> None:
        """Count one more event at ``event_time``."""
        self.count += 1
        if event_time and (not self.first_seen or event_time < self.first_seen):
            self.first_seen = event_time
        self.last_seen = max(self.last_seen, event_time)


@dataclass
class Summary:
    """Counts of matching events by each of ``DIMENSIONS``."""

    total: Tally = field(default_factory=Tally)
    tallies: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: {name: {} for name in DIMENSIONS}
    )

    @classmethod
    def of(cls, records: Iterable[Record]) -> Summary:
        """Summarise records."""
        summary = cls()
        for record in records:
            summary.add(record)
        return summary

    def add(self, record: Record) -> None:
        """Count one record."""
        event_time = record.get("eventTime")
        when = event_time if isinstance(event_time, str) else ""
        self.total.add(when)
        for name, key in DIMENSIONS.items():
            value = key(record)
            if value:
                tallies = self.tallies[name]
                tally = tallies.get(value)
                if tally is None:
                    tally = tallies[value] = Tally()
                tally.add(when)

    def rows(self, dimension: str) -> list[dict[str, Any]]:
        """One row per value of a dimension, most frequent first (then by value)."""
        ordered = sorted(
            self.tallies[dimension].items(), key=lambda item: (-item[1].count, item[0])
        )
        return [
            {
                dimension: value,
                "count": tally.count,
                "firstSeen": tally.first_seen,
                "lastSeen": tally.last_seen,
            }
            for value, tally in ordered
        ]

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready data."""
        return {
            "events": self.total.count,
            "firstSeen": self.total.first_seen,
            "lastSeen": self.total.last_seen,
            **{name: self.rows(name) for name in DIMENSIONS},
        }

    def flat_rows(self) -> list[dict[str, Any]]:
        """Every dimension's rows in one list, with ``dimension`` and ``value`` columns."""
        return [
            {
                "dimension": name,
                "value": row[name],
                "count": row["count"],
                "firstSeen": row["firstSeen"],
                "lastSeen": row["lastSeen"],
            }
            for name in DIMENSIONS
            for row in self.rows(name)
        ]

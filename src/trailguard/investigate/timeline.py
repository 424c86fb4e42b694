"""Events over time: counts per interval, as rows, as a terminal chart, for reports."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from trailguard.errors import ConfigError
from trailguard.events import parse_event_time

INTERVALS: dict[str, int] = {
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "3h": 3 * 3600,
    "6h": 6 * 3600,
    "12h": 12 * 3600,
    "1d": 86400,
    "7d": 7 * 86400,
    "30d": 30 * 86400,
}
"""The intervals chosen automatically, by name; ``--interval`` accepts any ``N[smhd]``."""
MAX_BUCKETS = 60
_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_EIGHTHS = " ▏▎▍▌▋▊▉█"


def parse_interval(text: str) -> int:
    """``15m``, ``1h``, ``1d`` ... in seconds (whole minutes, at least one)."""
    found = _INTERVAL.match(text)
    if not found or int(found[1]) == 0:
        raise ConfigError(f"--interval: {text!r} is not an interval like 5m, 1h or 1d")
    return int(found[1]) * _UNIT_SECONDS[found[2]]


def interval_name(seconds: int) -> str:
    """``3600`` -> ``1h``."""
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def choose_interval(first: datetime, last: datetime, max_buckets: int = MAX_BUCKETS) -> int:
    """The smallest of ``INTERVALS`` that shows ``first``..``last`` in at most ``max_buckets``."""
    span = (last - first).total_seconds()
    for seconds in INTERVALS.values():
        if span // seconds + 1 <= max_buckets:
            return seconds
    return INTERVALS["30d"]


@dataclass(frozen=True)
class Bucket:
    """One interval and how many events fell in it."""

    start: datetime
    count: int


@dataclass
class Timeline:
    """Event counts per minute, overall and per series (a principal, say)."""

    minutes: Counter[int] = field(default_factory=Counter)
    series: dict[str, Counter[int]] = field(default_factory=dict)

    def add(self, event_time: object, series: str | None = None) -> None:
        """Count one event; events without a readable eventTime are not charted."""
        moment = parse_event_time(event_time)
        if moment is None:
            return
        minute = int(moment.timestamp()) // 60
        self.minutes[minute] += 1
        if series is not None:
            self.series.setdefault(series, Counter())[minute] += 1

    @classmethod
    def of(cls, records: Iterable[Mapping[str, Any]]) -> Timeline:
        """The overall timeline of records."""
        timeline = cls()
        for record in records:
            timeline.add(record.get("eventTime"))
        return timeline

    @property
    def total(self) -> int:
        """Events charted."""
        return sum(self.minutes.values())

    def bounds(self) -> tuple[datetime, datetime] | None:
        """The first and last minute with events, or None when there are none."""
        if not self.minutes:
            return None
        return _at(min(self.minutes)), _at(max(self.minutes))

    def buckets(
        self,
        interval: int,
        series: str | None = None,
        bounds: tuple[datetime, datetime] | None = None,
    ) -> list[Bucket]:
        """Counts per interval from the first to the last event (empty intervals included).

        ``bounds`` sets the range, so that several series share one time axis.
        """
        counts = self.minutes if series is None else self.series.get(series, Counter())
        limits = bounds or self.bounds()
        if limits is None:
            return []
        first = int(limits[0].timestamp()) // interval * interval
        last = int(limits[1].timestamp()) // interval * interval
        per_bucket: Counter[int] = Counter()
        for minute, count in counts.items():
            per_bucket[minute * 60 // interval * interval] += count
        return [
            Bucket(_at(start // 60), per_bucket.get(start, 0))
            for start in range(first, last + interval, interval)
        ]


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)


def bucket_label(start: datetime, interval: int) -> str:
    """A bucket's start as people read it: the day alone for daily buckets."""
    return start.strftime("%Y-%m-%d" if interval % 86400 == 0 else "%Y-%m-%d %H:%M")


def render_chart(buckets: Sequence[Bucket], interval: int, *, width: int = 48) -> str:
    """A horizontal bar chart for the terminal, one line per interval."""
    if not buckets:
        return "(no events)\n"
    total = sum(bucket.count for bucket in buckets)
    end = buckets[-1].start + timedelta(seconds=interval)
    lines = [
        (
            f"Events per {interval_name(interval)} (UTC): {total} from "
            f"{bucket_label(buckets[0].start, 60)} to {bucket_label(end, 60)}"
        )
    ]
    peak = max(bucket.count for bucket in buckets) or 1
    digits = len(str(peak))
    for bucket in buckets:
        eighths = round(bucket.count / peak * width * 8)
        if bucket.count and not eighths:
            eighths = 1  # a non-empty interval always shows
        bar = "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")
        label = bucket_label(bucket.start, interval)
        lines.append(f"{label:>16} │{bar:<{width}} {bucket.count:>{digits}}")
    return "\n".join(lines) + "\n"

"""Summaries and timelines of search results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.errors import ConfigError
from trailguard.investigate.summary import Summary
from trailguard.investigate.timeline import (
    Timeline,
    choose_interval,
    interval_name,
    parse_interval,
    render_chart,
)


def event(time: str, name: str, **identity: Any) -> dict[str, Any]:
    return {
        "eventTime": time,
        "eventName": name,
        "awsRegion": identity.pop("region", "us-east-1"),
        "sourceIPAddress": identity.pop("ip", "192.0.2.1"),
        "userIdentity": {"type": "IAMUser", **identity},
    }


EVENTS = [
    event(
        "2024-03-01T10:05:00Z",
        "GetCallerIdentity",
        arn="arn:aws:iam::1:user/alice",
        accessKeyId="AKIA1",
    ),
    event(
        "2024-03-01T10:07:00Z", "ListBuckets", arn="arn:aws:iam::1:user/alice", accessKeyId="AKIA1"
    ),
    event(
        "2024-03-01T11:30:00Z",
        "RunInstances",
        arn="arn:aws:iam::1:user/alice",
        accessKeyId="AKIA1",
        region="eu-west-1",
    ),
    event(
        "2024-03-01T12:59:00Z",
        "CreateUser",
        arn="arn:aws:iam::1:user/bob",
        accessKeyId="AKIA2",
        ip="198.51.100.7",
    ),
]
EVENTS[3]["errorCode"] = "AccessDenied"


class TestSummary:
    def test_counts_with_first_and_last_seen(self) -> None:
        """Each dimension counts events per value, most frequent first, with first/last seen."""
        summary = Summary.of(EVENTS)
        assert summary.total.count == 4
        assert summary.rows("principal") == [
            {
                "principal": "arn:aws:iam::1:user/alice",
                "count": 3,
                "firstSeen": "2024-03-01T10:05:00Z",
                "lastSeen": "2024-03-01T11:30:00Z",
            },
            {
                "principal": "arn:aws:iam::1:user/bob",
                "count": 1,
                "firstSeen": "2024-03-01T12:59:00Z",
                "lastSeen": "2024-03-01T12:59:00Z",
            },
        ]
        assert [row["awsRegion"] for row in summary.rows("awsRegion")] == ["us-east-1", "eu-west-1"]
        assert summary.rows("errorCode") == [
            {
                "errorCode": "AccessDenied",
                "count": 1,
                "firstSeen": "2024-03-01T12:59:00Z",
                "lastSeen": "2024-03-01T12:59:00Z",
            }
        ]

    def test_events_without_a_value_are_not_counted_there(self) -> None:
        """Successful calls have no error code; they do not make an empty row."""
        summary = Summary.of(EVENTS[:3])
        assert summary.rows("errorCode") == []
        assert summary.to_dict()["events"] == 3

    def test_flat_rows_for_csv(self) -> None:
        """One list of dimension/value rows, for CSV and JSON Lines."""
        rows = Summary.of(EVENTS).flat_rows()
        assert rows[0] == {
            "dimension": "principal",
            "value": "arn:aws:iam::1:user/alice",
            "count": 3,
            "firstSeen": "2024-03-01T10:05:00Z",
            "lastSeen": "2024-03-01T11:30:00Z",
        }
        assert {row["dimension"] for row in rows} == {
            "principal",
            "accessKeyId",
            "eventName",
            "sourceIPAddress",
            "awsRegion",
            "errorCode",
        }


class TestTimeline:
    def test_buckets_include_empty_intervals(self) -> None:
        """Hourly buckets from the first event's hour to the last's, zeros in between."""
        timeline = Timeline.of(EVENTS)
        buckets = timeline.buckets(3600)
        assert [(b.start.hour, b.count) for b in buckets] == [(10, 2), (11, 1), (12, 1)]

    def test_series_share_one_axis(self) -> None:
        """A principal's series uses the overall bounds, so charts line up."""
        timeline = Timeline()
        for record in EVENTS:
            timeline.add(record["eventTime"], record["userIdentity"]["arn"])
        bob = timeline.buckets(3600, series="arn:aws:iam::1:user/bob", bounds=timeline.bounds())
        assert [b.count for b in bob] == [0, 0, 1]

    @pytest.mark.parametrize(
        ("span_minutes", "expected"),
        [
            (10, "1m"),
            (59, "1m"),
            (120, "5m"),
            (24 * 60, "30m"),
            (7 * 24 * 60, "3h"),
            (90 * 24 * 60, "7d"),
        ],
    )
    def test_interval_chosen_from_the_span(self, span_minutes: int, expected: str) -> None:
        """The smallest interval that fits the span in at most 60 bars."""
        first = datetime(2024, 3, 1, tzinfo=UTC)
        last = datetime.fromtimestamp(first.timestamp() + span_minutes * 60, tz=UTC)
        assert interval_name(choose_interval(first, last)) == expected

    def test_parse_interval(self) -> None:
        """5m, 1h, 2d; anything else names --interval."""
        assert [parse_interval(text) for text in ("5m", "1h", "2d")] == [300, 3600, 172800]
        with pytest.raises(ConfigError, match="--interval: '90s'"):
            parse_interval("90s")

    def test_chart(self) -> None:
        """One line per interval, bars proportional to the count, the count at the end."""
        chart = render_chart(Timeline.of(EVENTS).buckets(3600), 3600, width=8)
        assert chart == (
            "Events per 1h (UTC): 4 from 2024-03-01 10:00 to 2024-03-01 13:00\n"
            "2024-03-01 10:00 │████████ 2\n"
            "2024-03-01 11:00 │████     1\n"
            "2024-03-01 12:00 │████     1\n"
        )

    def test_empty_chart(self) -> None:
        """No events, no bars."""
        assert render_chart([], 3600) == "(no events)\n"

"""The LookupEvents source against a local server that speaks CloudTrail's JSON protocol.

moto does not implement LookupEvents, so ``trailguard.testing_cloudtrail`` answers it
over real HTTP from the records of the sample trail, with real paging and throttling.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from trailguard import testing_cloudtrail as lookup_server
from trailguard.errors import InputError
from trailguard.sources import expand_paths, read_events
from trailguard.sources.lookup_api import (
    Backoff,
    LookupEventsSource,
    Pacer,
    default_regions,
    enabled_regions,
    global_region_hint,
)

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"


def sample_records() -> list[dict[str, Any]]:
    return [dict(event) for path in expand_paths([str(SAMPLE)]) for _, event in read_events(path)]


RECORDS = sample_records()
# Event history gives every event an EventId; the AWS documentation examples without one are
# not served.
US_EAST_1 = [r for r in RECORDS if r["awsRegion"] == "us-east-1" and r.get("eventID")]
US_EAST_2 = [r for r in RECORDS if r["awsRegion"] == "us-east-2" and r.get("eventID")]
KEY = Counter(
    r["userIdentity"]["accessKeyId"]
    for r in US_EAST_1
    if r.get("userIdentity", {}).get("accessKeyId")
).most_common(2)[1][0]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and no retries inside botocore (our backoff must be the only one)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def server(aws_env: None) -> Iterator[Any]:  # noqa: ARG001 - the server needs the environment
    """A permissive server (100 requests/s), so that functional tests run fast."""
    with lookup_server.serving(lookup_server.LookupServer(RECORDS, rate=100)) as running:
        yield running


def clients(url: str) -> Any:
    config = Config(retries={"total_max_attempts": 1})
    return lambda region: boto3.client(
        "cloudtrail", region_name=region, endpoint_url=url, config=config
    )


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fast_source(url: str, regions: list[str], **options: Any) -> LookupEventsSource:
    clock = FakeClock()
    pacer = Pacer(rate=1000, clock=clock, sleep=clock.sleep)
    return LookupEventsSource(clients(url), regions, pacer=pacer, sleep=clock.sleep, **options)


class TestPacer:
    def test_spaces_calls_at_two_per_second(self) -> None:
        """Back-to-back calls on one account and region wait 0.5 s each after the first."""
        clock = FakeClock()
        pacer = Pacer(clock=clock, sleep=clock.sleep)
        waits = [pacer.acquire(("123", "us-east-1")) for _ in range(5)]
        assert waits == [0.0, 0.5, 0.5, 0.5, 0.5]
        assert clock.now == pytest.approx(102.0)

    def test_regions_have_their_own_budget(self) -> None:
        """The limit is per account and region: another region does not wait."""
        clock = FakeClock()
        pacer = Pacer(clock=clock, sleep=clock.sleep)
        pacer.acquire(("123", "us-east-1"))
        assert pacer.acquire(("123", "eu-west-1")) == 0.0
        assert pacer.acquire(("456", "us-east-1")) == 0.0
        assert pacer.acquire(("123", "us-east-1")) == 0.5

    def test_idle_time_is_not_hoarded_beyond_the_burst(self) -> None:
        """After a long pause one call goes at once, the next waits again."""
        clock = FakeClock()
        pacer = Pacer(clock=clock, sleep=clock.sleep)
        pacer.acquire("k")
        clock.now += 60
        assert pacer.acquire("k") == 0.0
        assert pacer.acquire("k") == 0.5


class TestBackoff:
    def test_grows_exponentially_with_jitter_and_a_cap(self) -> None:
        """Each retry waits between half and all of base * 2^(n-1), never above the cap."""
        backoff = Backoff(base=0.5, cap=4.0)
        assert [backoff.delay(n, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [
            0.25,
            0.5,
            1.0,
            2.0,
            2.0,
        ]
        assert [backoff.delay(n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [
            0.5,
            1.0,
            2.0,
            4.0,
            4.0,
        ]


class TestLookupEvents:
    def test_pages_through_every_event_newest_first(self, server: Any) -> None:
        """All 290 us-east-1 events come back over 6 pages of 50, NextToken reused as given."""
        source = fast_source(server.url, ["us-east-1"])
        records = [record for _, record in source.records()]
        assert len(records) == len(US_EAST_1)
        times = [record["eventTime"] for record in records]
        assert times == sorted(times, reverse=True)
        assert source.stats.calls == 6
        tokens = [call.body.get("NextToken") for call in server.calls]
        assert tokens[0] is None
        assert all(tokens[1:])
        assert all(call.body["MaxResults"] == 50 for call in server.calls)

    def test_sends_one_lookup_attribute(self, server: Any) -> None:
        """An AccessKeyId lookup returns only that key's events, as full records."""
        source = fast_source(server.url, ["us-east-1"])
        key = KEY
        records = [record for _, record in source.records([("AccessKeyId", key)])]
        expected = [r for r in US_EAST_1 if r.get("userIdentity", {}).get("accessKeyId") == key]
        assert sorted(r["eventID"] for r in records) == sorted(r["eventID"] for r in expected)
        assert records[0]["userIdentity"]["accessKeyId"] == key
        assert server.calls[0].body["LookupAttributes"] == [
            {"AttributeKey": "AccessKeyId", "AttributeValue": key}
        ]

    def test_several_values_are_one_call_sequence_each_without_duplicates(
        self, server: Any
    ) -> None:
        """Two event names: two lookups, the union of their events, each event once."""
        source = fast_source(server.url, ["us-east-1"])
        names = [("EventName", "GetParameter"), ("EventName", "PutParameter")]
        records = [record for _, record in source.records(names)]
        expected = [r for r in US_EAST_1 if r.get("eventName") in ("GetParameter", "PutParameter")]
        assert len(records) == len(expected) > 2
        assert len({r["eventID"] for r in records}) == len(records)
        sent = [call.body["LookupAttributes"][0]["AttributeValue"] for call in server.calls]
        assert sent == ["GetParameter", "PutParameter"]

    def test_time_range_is_sent_to_cloudtrail(self, server: Any) -> None:
        """StartTime and EndTime bound the events, server side."""
        source = fast_source(server.url, ["us-east-1"])
        start = datetime(2023, 7, 10, 12, 0, tzinfo=UTC)
        end = datetime(2023, 7, 10, 12, 5, tzinfo=UTC)
        records = [record for _, record in source.records(start=start, end=end)]
        assert records
        assert all(
            "2023-07-10T12:00:00Z" <= r["eventTime"] <= "2023-07-10T12:05:00Z" for r in records
        )
        assert server.calls[0].body["StartTime"] == start.timestamp()

    def test_regions_are_searched_together_and_named(self, server: Any) -> None:
        """Each region gives its own events, tagged with the region they came from."""
        source = fast_source(server.url, ["us-east-1", "us-east-2"])
        found = list(source.records())
        by_region = {region for region, _ in found}
        assert by_region == {"us-east-1", "us-east-2"}
        assert all(record["awsRegion"] == region for region, record in found)
        assert len(found) == len(US_EAST_1) + len(US_EAST_2)


class TestThrottling:
    def test_retries_throttled_calls_with_growing_backoff(self, server: Any) -> None:
        """Three ThrottlingException answers are retried after longer and longer waits."""
        server.force_throttles = 3
        clock = FakeClock()
        source = LookupEventsSource(
            clients(server.url),
            ["us-east-2"],
            pacer=Pacer(rate=1000, clock=clock, sleep=clock.sleep),
            sleep=clock.sleep,
            uniform=lambda: 0.5,
        )
        records = [record for _, record in source.records()]
        assert len(records) == len(US_EAST_2)
        assert source.stats.throttled == 3
        assert [call.throttled for call in server.calls] == [True, True, True, False]
        backoffs = [wait for wait in clock.sleeps if wait >= 0.1]
        assert backoffs == [0.375, 0.75, 1.5]

    def test_gives_up_after_the_last_retry_naming_the_region(self, server: Any) -> None:
        """A region that keeps throttling fails with a clear error, after the retries."""
        server.force_throttles = 100
        source = fast_source(server.url, ["us-east-2"], backoff=Backoff(retries=2))
        with pytest.raises(InputError) as caught:
            list(source.records())
        assert "LookupEvents in us-east-2" in str(caught.value)
        assert "ThrottlingException: Rate exceeded" in str(caught.value)
        assert len(server.calls) == 3

    @pytest.mark.usefixtures("aws_env")
    def test_real_pacing_stays_under_the_limit(self) -> None:
        """At the real 2 requests/second on both sides, no call is throttled."""
        with lookup_server.serving(lookup_server.LookupServer(RECORDS, rate=2)) as server:
            source = LookupEventsSource(clients(server.url), ["us-east-1"], max_results=10)
            lookup = [("EventName", "Decrypt")]
            records = [record for _, record in source.records(lookup)]
        assert len(records) == sum(r.get("eventName") == "Decrypt" for r in US_EAST_1) > 40
        assert len(server.calls) == 5
        assert not any(call.throttled for call in server.calls)
        # Two requests a second: any three calls span at least a second, less the jitter.
        spans = [c.at - a.at for a, c in zip(server.calls, server.calls[2:], strict=False)]
        assert min(spans) > 0.8

    @pytest.mark.usefixtures("aws_env")
    def test_unpaced_calls_are_throttled_by_the_server(self) -> None:
        """The server does enforce the limit: without pacing, calls get ThrottlingException."""
        with lookup_server.serving(lookup_server.LookupServer(RECORDS, rate=2)) as server:
            clock = FakeClock()
            source = LookupEventsSource(
                clients(server.url),
                ["us-east-1"],
                max_results=10,
                pacer=Pacer(rate=1000, clock=clock, sleep=clock.sleep),
            )
            records = [record for _, record in source.records([("EventName", "Decrypt")])]
        assert len(records) == sum(r.get("eventName") == "Decrypt" for r in US_EAST_1)
        assert source.stats.throttled > 0


class TestErrors:
    def test_a_rejected_request_names_the_region_and_aws_reason(self, server: Any) -> None:
        """InvalidTimeRangeException is reported with AWS's code and message, not retried."""
        source = fast_source(server.url, ["us-east-1"])
        start = datetime(2024, 1, 2, tzinfo=UTC)
        with pytest.raises(InputError) as caught:
            list(source.records(start=start, end=datetime(2024, 1, 1, tzinfo=UTC)))
        assert str(caught.value) == (
            "LookupEvents in us-east-1: InvalidTimeRangeException: "
            "StartTime must be before EndTime."
        )
        assert len(server.calls) == 1

    def test_other_regions_go_on_when_one_fails(self, server: Any) -> None:
        """With on_error, a failing region is reported and the others still give their events."""
        server.force_throttles = 0
        source = fast_source(server.url, ["us-east-2", "us-east-1"], backoff=Backoff(retries=0))
        problems: list[InputError] = []
        server.force_throttles = 1  # whichever region calls first fails, without retries
        found = list(source.records(on_error=problems.append))
        assert len(problems) == 1
        assert "ThrottlingException" in str(problems[0])
        assert found


class TestRegions:
    def test_enabled_regions_come_from_describe_regions(self, server: Any) -> None:
        """--all-regions asks EC2 which regions the account has enabled."""
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server.url)
        assert enabled_regions(ec2) == ["eu-west-1", "us-east-1"]

    def test_default_regions_add_us_east_1_for_global_events(self) -> None:
        """The session's region plus us-east-1, once."""
        assert default_regions("eu-west-1") == ["eu-west-1", "us-east-1"]
        assert default_regions("us-east-1") == ["us-east-1"]
        assert default_regions(None) == ["us-east-1"]

    @pytest.mark.parametrize(
        ("regions", "sources", "hinted"),
        [
            (["eu-west-1"], [], True),
            (["eu-west-1"], ["iam.amazonaws.com"], True),
            (["eu-west-1"], ["ec2.amazonaws.com"], False),
            (["eu-west-1", "us-east-1"], ["iam.amazonaws.com"], False),
            ([], ["iam.amazonaws.com"], False),
        ],
    )
    def test_global_region_hint(self, regions: list[str], sources: list[str], hinted: bool) -> None:
        """The reminder appears only when us-east-1 is left out and global events may matter."""
        hint = global_region_hint(regions, sources)
        assert (hint is not None) is hinted
        if hint:
            assert "--region us-east-1" in hint

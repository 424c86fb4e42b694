"""Searching sources: local archives, S3 (moto over HTTP), in parallel, and the LookupEvents plan."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from trailguard import testing_cloudtrail
from trailguard.investigate import Query, plan_lookup, search_files, search_lookup_events
from trailguard.investigate.spool import SortedSpool
from trailguard.sources import expand_paths, read_events
from trailguard.sources.lookup_api import LookupEventsSource, Pacer

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-trail"
ALL_RECORDS = [dict(e) for p in expand_paths([str(SAMPLE)]) for _, e in read_events(p)]


def ids(result: Any) -> list[str]:
    found = [record.get("eventID", "") for record in result]
    result.close()
    return found


class TestLocalArchive:
    def test_results_are_in_event_time_order(self) -> None:
        """Files are read in name order, but events come out oldest first."""
        result = search_files([str(SAMPLE)], Query(errors=True))
        times = [record["eventTime"] for record in result]
        assert len(times) == 76
        assert times == sorted(times)
        assert result.files == 58
        result.close()

    def test_two_jobs_give_exactly_the_same_output(self) -> None:
        """--jobs 2 reads files in two processes; the results and their order do not change."""
        query = Query(exclude_event_names=("Describe*", "Get*", "List*"))
        one = ids(search_files([str(SAMPLE)], query, jobs=1))
        two = ids(search_files([str(SAMPLE)], query, jobs=2))
        assert one == two
        assert len(one) > 200

    def test_a_corrupt_file_is_reported_and_the_rest_searched(self, tmp_path: Path) -> None:
        """A broken gzip names the file; the good file's events are still found."""
        good = tmp_path / "AWSLogs" / "a.json.gz"
        good.parent.mkdir(parents=True)
        good.write_bytes(gzip.compress(json.dumps({"Records": ALL_RECORDS[:5]}).encode()))
        bad = tmp_path / "AWSLogs" / "b.json.gz"
        bad.write_bytes(b"\x1f\x8b" + b"not gzip at all")
        result = search_files([str(tmp_path)], Query())
        assert len(result) == 5
        assert len(result.problems) == 1
        assert str(bad) in result.problems[0]
        assert "corrupt gzip data" in result.problems[0]
        result.close()

    def test_day_folders_outside_the_window_are_not_read(self) -> None:
        """--since prunes S3-layout day folders before any file is opened."""
        since = datetime(2024, 7, 1, tzinfo=UTC)
        result = search_files([str(SAMPLE)], Query(since=since))
        assert result.files < 58
        assert all(record["eventTime"] >= "2024-07-01T00:00:00Z" for record in result)
        result.close()

    def test_a_missing_source_is_a_problem_not_a_crash(self, tmp_path: Path) -> None:
        """A path that does not exist is reported by name."""
        result = search_files([str(tmp_path / "nope.json")], Query())
        assert len(result) == 0
        assert "nope.json" in result.problems[0]
        result.close()


class TestS3:
    @pytest.fixture
    def bucket(self, aws: str) -> str:
        client = boto3.client("s3", endpoint_url=aws)
        client.create_bucket(
            Bucket="trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        for path in sorted(SAMPLE.rglob("*.json*")):
            key = path.relative_to(SAMPLE).as_posix()
            body = path.read_bytes()
            if not key.endswith(".gz"):
                key, body = key + ".gz", gzip.compress(body)
            client.put_object(Bucket="trail", Key=key, Body=body)
        return "trail"

    def test_s3_search_equals_the_local_one(self, bucket: str) -> None:
        """s3://bucket/ gives the same events as the same files on disk."""
        query = Query(event_names=("Create*", "Delete*"))
        remote = search_files(
            [f"s3://{bucket}/"], query, s3_client_factory=lambda: boto3.client("s3")
        )
        assert ids(remote) == ids(search_files([str(SAMPLE)], query))
        assert remote.files == 58

    def test_s3_listing_is_pruned_by_region_and_date(self, bucket: str) -> None:
        """--region and --since skip folders of the key layout: fewer objects are read."""
        query = Query(regions=("us-east-1",), since=datetime(2023, 7, 10, tzinfo=UTC))
        remote = search_files(
            [f"s3://{bucket}/AWSLogs/"], query, s3_client_factory=lambda: boto3.client("s3")
        )
        found = ids(remote)
        assert found == ids(search_files([str(SAMPLE)], query))
        assert 0 < remote.files < 58


class TestSpool:
    def test_spilled_runs_merge_in_order(self) -> None:
        """With a tiny memory budget, matches spill to disk and still come back sorted."""
        with SortedSpool(memory_limit=200) as spool:
            for number in range(50):
                stamp = f"2024-03-01T00:{(number * 37) % 60:02d}:00Z"
                spool.add(stamp, f"id-{number:02d}", json.dumps({"n": number}).encode())
            assert len(spool._runs) > 3
            lines = list(spool)
            assert list(spool) == lines  # can be read twice
        keys = [(f"2024-03-01T00:{(n * 37) % 60:02d}:00Z", f"id-{n:02d}") for n in range(50)]
        expected = [json.dumps({"n": int(key[1][3:])}).encode() for key in sorted(keys)]
        assert lines == expected


class TestLookupPlan:
    @pytest.mark.parametrize(
        ("query", "key", "values"),
        [
            (Query(event_ids=("e1",), access_keys=("AKIAIOSFODNN7EXAMPLE",)), "EventId", ("e1",)),
            (
                Query(access_keys=("AKIAIOSFODNN7EXAMPLE",), event_names=("RunInstances",)),
                "AccessKeyId",
                ("AKIAIOSFODNN7EXAMPLE",),
            ),
            (Query(users=("alice",), event_names=("RunInstances",)), "Username", ("alice",)),
            (Query(users=("ali*",), event_names=("RunInstances",)), "EventName", ("RunInstances",)),
            (Query(event_names=("A", "B"), event_sources=("ec2",)), "EventName", ("A", "B")),
            (
                Query(event_names=("Describe*",), event_sources=("ec2",)),
                "EventSource",
                ("ec2.amazonaws.com",),
            ),
            (Query(read_only=False, errors=True), "ReadOnly", ("false",)),
            (Query(errors=True), None, ()),
        ],
    )
    def test_the_most_selective_exact_condition_is_sent(
        self, query: Query, key: str | None, values: tuple[str, ...]
    ) -> None:
        """EventId > AccessKeyId > Username > ResourceName > EventName > ResourceType >
        EventSource > ReadOnly; globs cannot be sent."""
        plan = plan_lookup(query)
        assert (plan.key, plan.values) == (key, values)

    def test_the_condition_sent_is_not_tested_again(self) -> None:
        """CloudTrail applies the attribute; the rest of the query stays local."""
        plan = plan_lookup(
            Query(access_keys=("AKIAIOSFODNN7EXAMPLE",), exclude_event_names=("Describe*",))
        )
        assert plan.local == Query(exclude_event_names=("Describe*",))

    def test_too_many_values_are_filtered_locally(self) -> None:
        """31 event names would be 31 call sequences per region: filter them locally instead."""
        names = tuple(f"Name{i}" for i in range(31))
        plan = plan_lookup(Query(event_names=names, event_sources=("iam",)))
        assert plan.key == "EventSource"
        assert plan.local.event_names == names


class TestLookupEventsSearch:
    @pytest.fixture
    def server(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        module = testing_cloudtrail
        with module.serving(module.LookupServer(ALL_RECORDS, rate=1000)) as running:
            yield running

    def source(self, url: str) -> LookupEventsSource:
        config = Config(retries={"total_max_attempts": 1})
        return LookupEventsSource(
            lambda region: boto3.client(
                "cloudtrail", region_name=region, endpoint_url=url, config=config
            ),
            ["us-east-1"],
            pacer=Pacer(rate=1000),
        )

    @pytest.mark.parametrize(
        "query",
        [
            Query(
                access_keys=("AKIATFQR7NSC8Q4X20BJ",),
                exclude_event_names=("Describe*",),
                event_sources=("ssm",),
            ),
            Query(event_names=("AssumeRole", "CreateRole"), errors=True),
            Query(event_sources=("s3",), since=datetime(2023, 7, 10, 12, 0, tzinfo=UTC)),
        ],
    )
    def test_same_events_as_the_archive(self, server: Any, query: Query) -> None:
        """The API path filters with the same code as the archive path: same events."""
        local_query = Query(**{**query.__dict__, "regions": ("us-east-1",)})
        archive = [r for r in search_files([str(SAMPLE)], local_query) if r.get("eventID")]
        result = search_lookup_events(self.source(server.url), query)
        api = list(result)
        assert [r["eventID"] for r in api] == [r["eventID"] for r in archive]
        assert api
        assert len(server.calls) >= 1
        result.close()

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailguard.alerts import Alert
from trailguard.detect import RuleSet, ThresholdTracker
from trailguard.errors import InputError
from trailguard.events import CloudTrailEvent
from trailguard.rules import Rule, load_rules
from trailguard.scan import ScanWindow, expand_sources, scan
from trailguard.sources.s3 import KeyFilter, list_log_keys, read_object

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample-trail"

RULES = {
    "root.yaml": """\
id: root
title: Root activity
severity: critical
eventbridge: {detail: {userIdentity: {type: [Root]}}}
""",
    "stop.yaml": """\
id: stop-logging
title: CloudTrail logging stopped
severity: high
eventbridge: {source: [aws.cloudtrail], detail: {eventName: [StopLogging, DeleteTrail]}}
""",
    "burst.yaml": """\
id: denied-burst
title: Many denied calls
severity: medium
logs_filter: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
threshold: {count: 3, window: 10m, group_by: [userIdentity.arn]}
""",
}


@pytest.fixture
def rules(tmp_path: Path) -> list[Rule]:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, text in RULES.items():
        (folder / name).write_text(text)
    loaded, problems = load_rules([folder])
    assert not problems
    return loaded


def _record(
    name: str,
    time: str,
    event_id: str,
    arn: str = "arn:aws:iam::111122223333:user/eve",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": time,
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "eventID": event_id,
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": arn},
        **extra,
    }


def _write_log_file(folder: Path, day: str, name: str, records: list[dict[str, Any]]) -> Path:
    path = folder / "AWSLogs/111122223333/CloudTrail/us-east-1" / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    return path


class TestScanSample:
    def test_finds_root_and_stop_logging(self, rules: list[Rule]) -> None:
        """The sample trail's root sign-ins and StopLogging calls come back as alerts, by time."""
        result = scan([str(SAMPLE)], RuleSet(rules))
        assert result.files == len(list((SAMPLE / "AWSLogs").rglob("*.json*")))
        assert result.records > 500
        assert result.problems == []
        found = {(a.rule_id, a.event_name) for a in result.alerts}
        assert ("root", "ConsoleLogin") in found
        assert ("stop-logging", "StopLogging") in found
        times = [a.event_time for a in result.alerts]
        assert times == sorted(times)

    def test_two_jobs_find_exactly_what_one_finds(self, rules: list[Rule]) -> None:
        """Scanning in two processes gives the same alerts as one."""
        one = scan([str(SAMPLE)], RuleSet(rules))
        two = scan([str(SAMPLE)], RuleSet(rules), jobs=2)
        assert two.alerts == one.alerts
        assert (two.files, two.records) == (one.files, one.records)


class TestThresholds:
    def test_counted_across_files_in_time_order(self, rules: list[Rule], tmp_path: Path) -> None:
        """Three denials within ten minutes, spread over two out-of-order files, raise one alert."""
        denied = {"errorCode": "AccessDenied"}
        _write_log_file(
            tmp_path,
            "2024/03/01",
            "b.json.gz",
            [_record("RunInstances", "2024-03-01T10:09:00Z", "e3", **denied)],
        )
        _write_log_file(
            tmp_path,
            "2024/03/01",
            "a.json.gz",
            [
                _record("RunInstances", "2024-03-01T10:05:00Z", "e2", **denied),
                _record("RunInstances", "2024-03-01T10:01:00Z", "e1", **denied),
                _record("RunInstances", "2024-03-01T11:00:00Z", "e4", **denied),
            ],
        )
        result = scan([str(tmp_path)], RuleSet(rules))
        bursts = [a for a in result.alerts if a.rule_id == "denied-burst"]
        assert [(a.event_id, a.count, a.related_event_ids) for a in bursts] == [
            ("e3", 3, ("e1", "e2", "e3"))
        ]

    def test_groups_are_counted_apart(self, rules: list[Rule]) -> None:
        """Denials by different principals do not add up."""
        rule = next(r for r in rules if r.id == "denied-burst")
        tracker = ThresholdTracker()
        alerts = [
            tracker.observe(
                rule,
                CloudTrailEvent(
                    _record("X", f"2024-03-01T10:0{i}:00Z", f"e{i}", arn=f"arn:{i % 2}")
                ),
            )
            for i in range(5)
        ]
        assert [a.event_id for a in alerts if a] == ["e4"]


class TestWindowAndProblems:
    def test_since_and_until_filter_events_and_prune_days(
        self, rules: list[Rule], tmp_path: Path
    ) -> None:
        """Events outside the window are not counted; day folders far outside are not even read."""
        _write_log_file(
            tmp_path,
            "2024/03/01",
            "a.json.gz",
            [_record("StopLogging", "2024-03-01T10:00:00Z", "in")],
        )
        _write_log_file(
            tmp_path,
            "2024/02/01",
            "b.json.gz",
            [_record("StopLogging", "2024-02-01T10:00:00Z", "out")],
        )
        window = ScanWindow(since="2024-03-01T00:00:00Z", until="2024-03-01T23:59:59Z")
        assert [Path(p).name for p in expand_sources([str(tmp_path)], window)] == ["a.json.gz"]
        result = scan(
            [str(tmp_path)], RuleSet(rules), window=ScanWindow(since="2024-03-01T10:00:01Z")
        )
        assert result.records == 0

    def test_corrupt_file_is_reported_and_the_rest_scanned(
        self, rules: list[Rule], tmp_path: Path
    ) -> None:
        """A truncated gzip file is named among the problems; the other files still raise alerts."""
        shutil.copytree(SAMPLE / "AWSLogs", tmp_path / "AWSLogs")
        broken = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/broken.json.gz"
        broken.parent.mkdir(parents=True)
        broken.write_bytes(gzip.compress(b'{"Records": []}')[:10])
        result = scan([str(tmp_path)], RuleSet(rules))
        assert len(result.problems) == 1
        assert "broken.json.gz" in result.problems[0]
        assert any(a.rule_id == "root" for a in result.alerts)


class TestS3:
    @pytest.mark.usefixtures("aws")
    def test_lists_with_pruning_and_scans_objects(self, rules: list[Rule]) -> None:
        """s3:// sources are listed by the key layout, pruned by days and regions, and scanned."""
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="trail")
        stop = _record(
            "StopLogging", "2024-03-02T10:00:00Z", "s1", eventSource="cloudtrail.amazonaws.com"
        )
        keys = {
            "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1000Z_aaaaaaaaaaaaaaaa.json.gz": [],
            "AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/2024/03/02/111122223333_CloudTrail_us-east-1_20240302T1005Z_bbbbbbbbbbbbbbbb.json.gz": [
                stop
            ],
            "AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2024/03/02/111122223333_CloudTrail_eu-west-1_20240302T1005Z_cccccccccccccccc.json.gz": [],
            "AWSLogs/o-abc/111122223333/CloudTrail-Digest/us-east-1/2024/03/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240302T100500Z.json.gz": [],
        }
        for key, records in keys.items():
            s3.put_object(
                Bucket="trail",
                Key=key,
                Body=gzip.compress(json.dumps({"Records": records}).encode()),
            )

        listed = list(
            list_log_keys(
                s3, "s3://trail", KeyFilter(since=date(2024, 3, 2), regions=["us-east-1"])
            )
        )
        assert [k.rsplit("_", 1)[-1] for k in listed] == ["bbbbbbbbbbbbbbbb.json.gz"]

        result = scan(
            ["s3://trail/"],
            RuleSet(rules),
            s3_client_factory=lambda: boto3.client("s3", region_name="us-east-1"),
        )
        assert result.files == 3
        assert [(a.rule_id, a.event_id) for a in result.alerts] == [("stop-logging", "s1")]

    @pytest.mark.usefixtures("aws")
    def test_unreadable_object_is_a_named_problem(self) -> None:
        """An object that cannot be read is reported with its URL and AWS's error code."""
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="trail")
        with pytest.raises(InputError, match=r"^s3://trail/AWSLogs/gone\.json\.gz: NoSuchKey: "):
            read_object(s3, "s3://trail/AWSLogs/gone.json.gz")


class TestStreaming:
    def test_sink_receives_what_the_result_would_hold(self, rules: list[Rule]) -> None:
        """With on_alert every alert goes to the sink and none is kept; the same set as without."""
        kept = scan([str(SAMPLE)], RuleSet(rules))
        streamed: list[Alert] = []
        result = scan([str(SAMPLE)], RuleSet(rules), on_alert=streamed.append)
        assert result.alerts == []
        assert sorted(streamed, key=lambda a: (a.event_time, a.rule_id, a.event_id)) == kept.alerts
        assert result.by_rule() == kept.by_rule()

    def test_late_event_in_a_later_file_still_counts_in_time_order(
        self, rules: list[Rule], tmp_path: Path
    ) -> None:
        """A file delivered later may hold earlier events; within the lateness they count in order."""
        denied = {"errorCode": "AccessDenied"}
        day = "2024/03/01"
        stamp = "111122223333_CloudTrail_us-east-1_20240301T{}Z_{}.json.gz"
        _write_log_file(
            tmp_path,
            day,
            stamp.format("1005", "aaaaaaaaaaaaaaaa"),
            [_record("X", "2024-03-01T10:01:00Z", "e1", **denied)],
        )
        _write_log_file(
            tmp_path,
            day,
            stamp.format("1010", "bbbbbbbbbbbbbbbb"),
            [_record("X", "2024-03-01T10:08:00Z", "e3", **denied)],
        )
        # Delivered last, but holds the second event in time.
        _write_log_file(
            tmp_path,
            day,
            stamp.format("1030", "cccccccccccccccc"),
            [_record("X", "2024-03-01T10:04:00Z", "e2", **denied)],
        )
        streamed: list[Alert] = []
        result = scan([str(tmp_path)], RuleSet(rules), on_alert=streamed.append)
        assert [(a.event_id, a.related_event_ids) for a in streamed] == [("e3", ("e1", "e2", "e3"))]
        assert result.late_threshold_matches == 0

    def test_beyond_the_lateness_a_match_is_counted_late_and_reported(
        self, rules: list[Rule], tmp_path: Path
    ) -> None:
        """An event delivered far later than CloudTrail's usual delay is counted, and reported as late."""
        denied = {"errorCode": "AccessDenied"}
        stamp = "111122223333_CloudTrail_us-east-1_{}Z_{}.json.gz"
        _write_log_file(
            tmp_path,
            "2024/03/01",
            stamp.format("20240301T1005", "aaaaaaaaaaaaaaaa"),
            [_record("X", "2024-03-01T10:01:00Z", "e1", **denied)],
        )
        _write_log_file(
            tmp_path,
            "2024/03/02",
            stamp.format("20240302T1005", "bbbbbbbbbbbbbbbb"),
            [_record("X", "2024-03-02T10:01:00Z", "e2", **denied)],
        )
        # Delivered two days after it happened, when e1 has been counted already.
        _write_log_file(
            tmp_path,
            "2024/03/03",
            stamp.format("20240303T1005", "cccccccccccccccc"),
            [_record("X", "2024-03-01T09:00:00Z", "e0", **denied)],
        )
        result = scan([str(tmp_path)], RuleSet(rules), on_alert=lambda _: None)
        assert result.late_threshold_matches == 1

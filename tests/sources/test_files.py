from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trailguard.errors import InputError
from trailguard.sources import expand_paths, read_events
from trailguard.sources.files import read_lines_or_records

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"

WriteFile = Callable[[str, bytes | str], Path]


def _record(name: str = "ConsoleLogin", event_id: str = "e1") -> dict[str, Any]:
    return {
        "eventVersion": "1.08",
        "eventTime": "2024-03-01T12:00:00Z",
        "eventName": name,
        "eventSource": "signin.amazonaws.com",
        "eventID": event_id,
    }


def _names(path: Path | str) -> list[str]:
    return [event.get("eventName", "") for _, event in read_events(str(path))]


class TestShapes:
    def test_trail_log_file_gzip(self, write_file: WriteFile) -> None:
        """A gzip trail log file yields its records in order."""
        body = json.dumps({"Records": [_record("A"), _record("B")]}).encode()
        assert _names(write_file("x.json.gz", gzip.compress(body))) == ["A", "B"]

    def test_plain_trail_log_file(self, write_file: WriteFile) -> None:
        """An uncompressed trail log file (as the Invictus dataset publishes them) is read too."""
        path = write_file("x.json", json.dumps({"Records": [_record("A")]}))
        assert _names(path) == ["A"]

    def test_json_lines_positions_are_line_numbers(self, write_file: WriteFile) -> None:
        """JSON Lines give each event its line number; blank lines are skipped."""
        text = json.dumps(_record("A")) + "\n\n" + json.dumps(_record("B")) + "\n"
        located = list(read_events(str(write_file("x.jsonl", text))))
        assert [(pos, e["eventName"]) for pos, e in located] == [(1, "A"), (3, "B")]

    def test_lookup_events_output(self, fixtures: Path) -> None:
        """`aws cloudtrail lookup-events` output yields the parsed CloudTrailEvent strings."""
        path = fixtures / "lookup_events" / "lookup_events_response.json"
        response = json.loads(path.read_text())
        expected = [item["EventId"] for item in response["Events"]]
        assert [e["eventID"] for _, e in read_events(str(path))] == expected

    def test_cloudwatch_logs_subscription_event(self, fixtures: Path) -> None:
        """A subscription filter's Lambda event is base64-decoded, gunzipped and parsed."""
        decoded = json.loads(
            (fixtures / "cloudwatch_logs/subscription_data_message.decoded.json").read_text()
        )
        expected = [json.loads(e["message"])["eventID"] for e in decoded["logEvents"]]
        path = fixtures / "cloudwatch_logs" / "subscription_data_message.json"
        assert [e["eventID"] for _, e in read_events(str(path))] == expected
        assert expected

    def test_control_message_holds_no_events(self, fixtures: Path) -> None:
        """CloudWatch Logs health checks (CONTROL_MESSAGE) yield nothing and are no error."""
        path = fixtures / "cloudwatch_logs" / "subscription_control_message.json"
        assert list(read_events(str(path))) == []

    def test_envelopes_are_kept_whole(self, fixtures: Path) -> None:
        """EventBridge envelopes are yielded as they are, with their own id and account."""
        path = fixtures / "eventbridge" / "cloudtrail_envelopes.jsonl"
        events = [e for _, e in read_events(str(path))]
        assert len(events) == 14
        assert all("detail-type" in e for e in events)

    def test_json_array_of_records(self, write_file: WriteFile) -> None:
        """A JSON array of records (as TrailDiscover publishes them) is read."""
        assert _names(write_file("x.json", json.dumps([_record("A"), _record("B")]))) == ["A", "B"]


class TestProblems:
    def test_missing_file_names_the_file(self, tmp_path: Path) -> None:
        """A missing file raises an error that names it."""
        missing = tmp_path / "nope.json"
        with pytest.raises(InputError, match=r"nope\.json: No such file"):
            list(read_events(str(missing)))

    def test_corrupt_gzip_is_reported_and_skipped(self, write_file: WriteFile) -> None:
        """A truncated gzip file is reported with its name; reading other files goes on."""
        good = write_file(
            "good.json.gz", gzip.compress(json.dumps({"Records": [_record()]}).encode())
        )
        bad = write_file("bad.json.gz", gzip.compress(b'{"Records": []}')[:12])
        problems: list[InputError] = []
        events = [e for p in (bad, good) for _, e in read_events(str(p), on_error=problems.append)]
        assert len(events) == 1
        assert len(problems) == 1
        assert "bad.json.gz" in str(problems[0])
        assert "gzip" in str(problems[0])

    def test_bad_json_line_names_the_line_and_the_rest_is_read(self, write_file: WriteFile) -> None:
        """A broken line in JSON Lines is reported as file:line; the other lines still count."""
        text = "\n".join([json.dumps(_record("A")), "{not json", json.dumps(_record("C"))])
        path = write_file("x.jsonl", text)
        problems: list[InputError] = []
        names = [e["eventName"] for _, e in read_events(str(path), on_error=problems.append)]
        assert names == ["A", "C"]
        assert [str(p).split(": ")[0] for p in problems] == [f"{path}:2"]

    def test_json_that_is_not_cloudtrail_is_named(self, write_file: WriteFile) -> None:
        """A JSON document of another kind says what keys it has instead."""
        path = write_file("x.json", json.dumps({"hello": 1}))
        with pytest.raises(InputError, match=r"x\.json: not a CloudTrail record.*hello"):
            list(read_events(str(path)))


class TestFolders:
    def test_walks_the_s3_layout_and_skips_digests(self, tmp_path: Path) -> None:
        """Folders are walked in name order; CloudTrail-Digest files are not read."""
        shutil.copytree(SAMPLE / "AWSLogs", tmp_path / "AWSLogs")
        digest = tmp_path / "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/03/01"
        digest.mkdir(parents=True)
        (
            digest / "123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20240301T000000Z.json.gz"
        ).write_bytes(gzip.compress(b'{"digestS3Object": "x"}'))
        files = list(expand_paths([str(tmp_path)]))
        assert files == sorted(files, key=lambda p: Path(p).parts)
        assert not any("Digest" in f for f in files)
        assert len(files) == len(list((SAMPLE / "AWSLogs").rglob("*.json*")))

    def test_sample_trail_reads_without_problems(self) -> None:
        """Every bundled sample file reads cleanly, gzip and plain alike."""
        problems: list[InputError] = []
        count = sum(1 for f in expand_paths([str(SAMPLE)]) for _ in read_events(f, problems.append))
        assert problems == []
        assert count > 500


class TestStdin:
    def test_dash_reads_standard_input(self) -> None:
        """`-` reads standard input, gzip or not."""
        body = gzip.compress(json.dumps({"Records": [_record("FromStdin")]}).encode())
        code = "from trailguard.sources import read_events; print([e['eventName'] for _, e in read_events('-')])"
        result = subprocess.run(
            [sys.executable, "-c", code], input=body, capture_output=True, check=True
        )
        assert result.stdout.decode().strip() == "['FromStdin']"


class TestLinesOrRecords:
    def test_plain_log_lines(self, write_file: WriteFile) -> None:
        """A file that is not CloudTrail is read as log lines, numbered."""
        path = write_file("app.log", "ERROR one\n\nINFO two\n")
        assert read_lines_or_records(str(path)) == (False, [(1, "ERROR one"), (3, "INFO two")])

    def test_cloudtrail_file_is_read_as_records(self, write_file: WriteFile) -> None:
        """A trail log file is read as records, not as one long line."""
        path = write_file("x.json", json.dumps({"Records": [_record("A")]}))
        is_cloudtrail, items = read_lines_or_records(str(path))
        assert is_cloudtrail
        assert [e["eventName"] for _, e in items] == ["A"]  # type: ignore[index]

    def test_json_lines_of_other_objects_are_log_lines(self, write_file: WriteFile) -> None:
        """JSON Lines that are not CloudTrail are plain log events (for JSON filter patterns)."""
        path = write_file("app.jsonl", '{"level": "error"}\n{"level": "info"}\n')
        assert read_lines_or_records(str(path)) == (
            False,
            [(1, '{"level": "error"}'), (2, '{"level": "info"}')],
        )

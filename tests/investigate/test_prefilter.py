"""The raw-text pre-filter only ever skips files that cannot hold a match."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from trailguard.events import from_envelope, to_envelope
from trailguard.investigate import Query, search_files
from trailguard.investigate.prefilter import WARMUP_FILES, RawPrefilter
from trailguard.investigate.query import LiteralGroup
from trailguard.sources.files import events_in_bytes, expand_paths, read_bytes

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"

QUERIES = [
    Query(event_names=("ConsoleLogin",)),
    Query(event_names=("Create*",)),
    Query(event_names=("*Policy",), event_sources=("iam",)),
    Query(event_sources=("kms",), exclude_event_names=("Decrypt",)),
    Query(access_keys=("AKIATFQR7NSC8Q4X20BJ",)),
    Query(users=("christophe",)),
    Query(principal_arns=("arn:aws:iam::*:user/christophe",)),
    Query(source_ips=("192.168.10.20",)),
    Query(source_ips=("192.0.2.0/24",)),
    Query(regions=("us-east-2",)),
    Query(accounts=("111122223333",)),
    Query(errors=True),
    Query(error_codes=("AccessDenied*",)),
    Query(resource_types=("AWS::IAM::Role",)),
    Query(resource_names=("*role/*",)),
    Query(event_ids=("be7f89b5-d456-4423-b3e6-0fb0b19bad7c",)),
]


def brute_force(paths: list[str], query: Query) -> list[str]:
    """Every file parsed, every record tested: what a search must return (event ids in order)."""
    compiled = query.compile()
    found = []
    for path in expand_paths(paths):
        for _, event in events_in_bytes(read_bytes(path), path):
            record = from_envelope(event)
            if compiled.matches(record):
                found.append((record.get("eventTime", ""), record.get("eventID", ""), record))
    found.sort(key=lambda item: (item[0], item[1]))
    return [json.dumps(record, sort_keys=True) for _, _, record in found]


def searched(paths: list[str], query: Query) -> tuple[list[str], int]:
    result = search_files(paths, query)
    rows = [json.dumps(record, sort_keys=True) for record in result]
    result.close()
    return rows, result.skipped_files


@pytest.mark.parametrize("query", QUERIES, ids=[" ".join(q.to_args()) for q in QUERIES])
def test_same_results_as_parsing_everything(query: Query) -> None:
    """On the sample trail, skipping files never changes what a search finds."""
    expected = brute_force([str(SAMPLE)], query)
    found, _ = searched([str(SAMPLE)], query)
    assert found == expected
    assert expected  # each query finds something, so the comparison means something


def test_the_prefilter_does_skip_files() -> None:
    """A rare event name lets most of the sample trail go unparsed."""
    result = search_files([str(SAMPLE)], Query(event_names=("LeaveOrganization",)))
    assert len(result) == 2
    assert result.skipped_files > result.files * 3 // 4
    result.close()


def _trail_file(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_bytes(gzip.compress(text.encode()))
    return str(path)


def _record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/anaya",
            "accountId": "111122223333",
            "userName": "anaya",
        },
        "eventTime": "2022-11-10T16:24:34Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.0",
        "eventID": "3fcfb182-98f8-4744-bd45-10a395ab61cb",
        "eventType": "AwsConsoleSignIn",
    }
    base.update(changes)
    return base


class TestEscapes:
    def test_a_unicode_escaped_value_is_still_found(self, tmp_path: Path) -> None:
        """`Console\\u004cogin` is ConsoleLogin: a file with \\u escapes is always parsed."""
        text = json.dumps({"Records": [_record()]}).replace("ConsoleLogin", "Console\\u004cogin")
        other = json.dumps({"Records": [_record(eventName="GetUser")]})
        paths = [
            _trail_file(tmp_path, "a.json.gz", text),
            _trail_file(tmp_path, "b.json.gz", other),
        ]
        found, skipped = searched(paths, Query(event_names=("ConsoleLogin",)))
        assert len(found) == 1
        assert skipped == 1

    def test_an_escaped_slash_in_an_arn_is_still_found(self, tmp_path: Path) -> None:
        """JSON may write / as \\/: a literal with a slash is only trusted without backslashes."""
        text = json.dumps({"Records": [_record()]}).replace("user/anaya", "user\\/anaya")
        paths = [_trail_file(tmp_path, "a.json.gz", text)]
        found, skipped = searched(
            paths, Query(principal_arns=("arn:aws:iam::111122223333:user/anaya",))
        )
        assert len(found) == 1
        assert skipped == 0

    def test_an_escaped_quote_elsewhere_does_not_disable_plain_literals(
        self, tmp_path: Path
    ) -> None:
        """A backslash without \\u (a policy document, say) still lets a file be skipped."""
        policy = {"policyDocument": '{"Version":"2012-10-17"}'}
        text = json.dumps(
            {"Records": [_record(eventName="PutUserPolicy", requestParameters=policy)]}
        )
        paths = [_trail_file(tmp_path, "a.json.gz", text)]
        found, skipped = searched(paths, Query(event_names=("ConsoleLogin",)))
        assert found == []
        assert skipped == 1


class TestOtherShapes:
    def test_lookup_events_output_is_parsed_not_skipped(self, tmp_path: Path) -> None:
        """In LookupEvents output the record is a JSON string inside JSON: never pre-filtered."""
        record = _record()
        response = {
            "Events": [{"EventId": record["eventID"], "CloudTrailEvent": json.dumps(record)}]
        }
        path = tmp_path / "lookup.json"
        path.write_text(json.dumps(response))
        found, skipped = searched([str(path)], Query(event_names=("ConsoleLogin",)))
        assert len(found) == 1
        assert skipped == 0

    def test_envelopes_in_a_records_list_are_unwrapped(self, tmp_path: Path) -> None:
        """Even in a Records list, an EventBridge envelope is searched by its record."""
        text = json.dumps({"Records": [to_envelope(_record())]})
        found, _ = searched(
            [_trail_file(tmp_path, "a.json.gz", text)], Query(event_names=("ConsoleLogin",))
        )
        assert len(found) == 1

    def test_json_lines_mixing_shapes_are_parsed(self, tmp_path: Path) -> None:
        """A trail document on line 1 does not make line 2 (LookupEvents output) skippable."""
        record = _record()
        response = {
            "Events": [{"EventId": record["eventID"], "CloudTrailEvent": json.dumps(record)}]
        }
        trail = {"Records": [_record(eventName="GetUser", eventID="x")]}
        text = json.dumps(trail) + "\n" + json.dumps(response) + "\n"
        found, skipped = searched(
            [_trail_file(tmp_path, "mixed.jsonl.gz", text)], Query(event_names=("ConsoleLogin",))
        )
        assert [json.loads(row)["eventName"] for row in found] == ["ConsoleLogin"]
        assert skipped == 0

    def test_eventbridge_envelopes_in_json_lines(self, tmp_path: Path) -> None:
        """JSON Lines of EventBridge envelopes: the record inside each is searched."""
        path = tmp_path / "events.jsonl"
        lines = [to_envelope(_record()), to_envelope(_record(eventName="GetUser", eventID="x"))]
        path.write_text("\n".join(json.dumps(line) for line in lines))
        found, _ = searched([str(path)], Query(event_names=("ConsoleLogin",)))
        assert [json.loads(row)["eventName"] for row in found] == ["ConsoleLogin"]


class TestAdaptive:
    def test_a_group_that_never_rejects_stops_being_scanned(self) -> None:
        """After the warm-up, scanning for a literal that is everywhere would only cost time."""
        prefilter = RawPrefilter([LiteralGroup("--event-source", (b'"ec2.amazonaws.com"',))])
        data = b'{"Records":[{"eventSource":"ec2.amazonaws.com"}]}'
        for _ in range(WARMUP_FILES + 10):
            assert prefilter.might_match(data)
        assert prefilter._groups[0].tested == WARMUP_FILES

    def test_a_group_that_rejects_keeps_being_scanned(self) -> None:
        """A selective literal stays in use and keeps skipping files."""
        prefilter = RawPrefilter([LiteralGroup("--event-name", (b'"ConsoleLogin"',))])
        data = b'{"Records":[{"eventName":"GetUser"}]}'
        assert not any(prefilter.might_match(data) for _ in range(WARMUP_FILES + 10))
        assert prefilter._groups[0].tested == WARMUP_FILES + 10

    def test_too_many_literals_are_not_scanned(self) -> None:
        """28 event names would cost more scans than one parse: no pre-filter."""
        names = tuple(f'"Name{i}"'.encode() for i in range(28))
        assert not RawPrefilter([LiteralGroup("--event-name", names)])

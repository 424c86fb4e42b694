"""`trailguard search` end to end: every output format against golden files, errors, the API.

Golden outputs live in tests/golden/search/. After a deliberate change of output, refresh them
with ``TRAILGUARD_UPDATE_GOLDEN=1 pytest tests/cli/test_search_cli.py`` and review the diff.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from trailguard import testing_cloudtrail
from trailguard.cli import main
from trailguard.sources import expand_paths, read_events

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample-trail"
GOLDEN = ROOT / "tests" / "golden" / "search"
UPDATE_GOLDEN = os.environ.get("TRAILGUARD_UPDATE_GOLDEN") == "1"
FIELDS = "eventTime,eventName,service=eventSource,principal,errorCode,key=userIdentity.accessKeyId"
ERRORS_OF_ONE_ACCOUNT = (str(SAMPLE), "--account", "123837392027", "--errors")


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables are as wide whatever the terminal running the tests."""
    monkeypatch.setenv("COLUMNS", "80")


def run(*args: str, input: bytes | None = None) -> tuple[int, str, str]:  # noqa: A002
    result = CliRunner().invoke(main, ["search", *args], input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"output differs from {path.relative_to(ROOT)}"


class TestGoldenOutputs:
    @pytest.mark.parametrize(
        ("output_format", "golden"),
        [
            ("table", "events.txt"),
            ("json", "events.json"),
            ("jsonl", "events.jsonl"),
            ("csv", "events.csv"),
        ],
    )
    def test_event_list_in_every_format(self, output_format: str, golden: str) -> None:
        """The failed calls of one account, with chosen fields, oldest first, in each format."""
        code, out, err = run(*ERRORS_OF_ONE_ACCOUNT, "--fields", FIELDS, "-f", output_format)
        assert code == 0
        check_golden(golden, out)
        assert err.startswith("23 matching events; 58 files")

    def test_full_records_as_json_lines(self) -> None:
        """Without --fields, JSON Lines carries the whole records, as CloudTrail wrote them."""
        code, out, _ = run(str(SAMPLE), "--event-name", "LeaveOrganization", "-f", "jsonl")
        assert code == 0
        check_golden("leave-organization.jsonl", out)
        records = [json.loads(line) for line in out.splitlines()]
        assert [r["eventName"] for r in records] == ["LeaveOrganization"] * 2
        assert "userIdentity" in records[0]

    def test_default_columns(self) -> None:
        """A table without --fields shows who did what, where and when."""
        code, out, _ = run(str(SAMPLE), "--event-name", "LeaveOrganization")
        assert code == 0
        check_golden("leave-organization.txt", out)

    def test_summary_table(self) -> None:
        """--summary prints counts with first and last seen for each dimension."""
        code, out, _ = run(*ERRORS_OF_ONE_ACCOUNT, "--summary")
        assert code == 0
        check_golden("summary.txt", out)

    def test_summary_json(self) -> None:
        """--summary -f json is one document with every dimension."""
        code, out, _ = run(*ERRORS_OF_ONE_ACCOUNT, "--summary", "-f", "json")
        assert code == 0
        check_golden("summary.json", out)
        summary = json.loads(out)
        assert summary["events"] == 23
        assert summary["errorCode"][0] == {
            "errorCode": "ThrottlingException",
            "count": 11,
            "firstSeen": "2023-07-10T11:58:13Z",
            "lastSeen": "2023-07-10T12:08:14Z",
        }

    def test_timeline_chart(self) -> None:
        """--timeline draws events per interval in the terminal."""
        code, out, _ = run(*ERRORS_OF_ONE_ACCOUNT, "--timeline", "--interval", "2m")
        assert code == 0
        check_golden("timeline.txt", out)

    def test_timeline_csv(self) -> None:
        """--timeline -f csv gives one row per interval, empty ones included."""
        code, out, _ = run(*ERRORS_OF_ONE_ACCOUNT, "--timeline", "--interval", "5m", "-f", "csv")
        assert code == 0
        assert out.splitlines() == [
            "start,count",
            "2023-07-10T11:55:00Z,12",
            "2023-07-10T12:00:00Z,8",
            "2023-07-10T12:05:00Z,1",
            "2023-07-10T12:10:00Z,2",
        ]


class TestBehaviour:
    def test_limit(self) -> None:
        """--limit prints the first events in time order."""
        code, out, _ = run(
            *ERRORS_OF_ONE_ACCOUNT, "--fields", "eventTime", "-f", "csv", "--limit", "3"
        )
        assert code == 0
        assert out.splitlines() == [
            "eventTime",
            "2023-07-10T11:58:13Z",
            "2023-07-10T11:58:13Z",
            "2023-07-10T11:58:13Z",
        ]

    def test_no_match_exits_1(self) -> None:
        """Like grep: nothing found is exit 1, with the count on stderr."""
        code, out, err = run(str(SAMPLE), "--event-name", "NoSuchEvent", "-f", "jsonl")
        assert code == 1
        assert out == ""
        assert err.startswith("0 matching events")

    def test_standard_input(self) -> None:
        """`-` reads a (gzipped) trail file from standard input."""
        path = next(SAMPLE.rglob("*.json.gz"))
        code, out, _ = run("-", "-f", "jsonl", "--fields", "eventID", input=path.read_bytes())
        expected = [e["eventID"] for _, e in read_events(str(path))]
        assert code == 0
        assert sorted(json.loads(line)["eventID"] for line in out.splitlines()) == sorted(expected)

    def test_time_forms_and_time_zone(self) -> None:
        """--since takes the AWS CLI's `MM-DD-YYYY, HH:MM AM` form; --tz applies to it."""
        code, out, _ = run(
            *ERRORS_OF_ONE_ACCOUNT,
            "--since",
            "07-10-2023, 02:08 PM",
            "--tz",
            "Europe/Paris",
            "--fields",
            "eventTime",
            "-f",
            "csv",
        )
        assert code == 0
        assert out.splitlines()[1:] == [
            "2023-07-10T12:08:14Z",
            "2023-07-10T12:12:04Z",
            "2023-07-10T12:12:05Z",
        ]

    def test_report_replaces_the_list(self, tmp_path: Path) -> None:
        """--report writes the HTML file; stdout stays empty and stderr says where it went."""
        report = tmp_path / "incident.html"
        code, out, err = run(*ERRORS_OF_ONE_ACCOUNT, "--report", str(report))
        assert code == 0
        assert out == ""
        assert f"report written to {report}" in err
        html = report.read_text()
        assert "<title>CloudTrail investigation</title>" in html
        assert html.count('<tr class="event error"') == 23

    def test_two_jobs_print_the_same(self) -> None:
        """--jobs 2 changes nothing in the output."""
        args = (str(SAMPLE), "--write-only", "-f", "jsonl")
        assert run(*args)[1] == run(*args, "--jobs", "2")[1]

    def test_match_pattern_from_a_file(self, tmp_path: Path) -> None:
        """--match reads an EventBridge pattern inline or from a file."""
        pattern = tmp_path / "pattern.json"
        pattern.write_text('{"source": ["aws.organizations"]}')
        code, out, _ = run(
            str(SAMPLE), "--match", str(pattern), "-f", "csv", "--fields", "eventName"
        )
        assert code == 0
        assert out.splitlines() == ["eventName", "LeaveOrganization", "LeaveOrganization"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--since", "yesterday-ish"), "--since: cannot read the time 'yesterday-ish'"),
            (("--tz", "Mars/Base"), "--tz: unknown time zone 'Mars/Base'"),
            (("--source-ip", "10.0.0.300"), "--source-ip: '10.0.0.300' is not an IP address"),
            (("--account", "12"), "--account: '12' is not a 12-digit account id"),
            (("--fields", "a..b"), "--fields: cannot read 'a..b'"),
            (("--match", '{"source": "aws.ec2"}'), "--match: Event pattern is not valid. Reason:"),
            (
                ("--interval", "fortnight", "--timeline"),
                "--interval: 'fortnight' is not an interval",
            ),
        ],
    )
    def test_errors_name_the_option(self, args: tuple[str, ...], message: str) -> None:
        """A wrong value is one line naming the option, exit 2, no traceback."""
        code, out, err = run(str(SAMPLE), *args)
        assert code == 2
        assert message in err
        assert "Traceback" not in err
        assert out == ""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--all-regions",), "--all-regions applies to --api"),
            (("--api",), "give either --api or SOURCE"),
        ],
    )
    def test_usage_errors(self, args: tuple[str, ...], message: str) -> None:
        """Options that do not go together are a usage error (exit 2)."""
        code, _, err = run(str(SAMPLE), *args)
        assert code == 2
        assert message in err

    def test_unreadable_source_is_reported_and_exit_2(self, tmp_path: Path) -> None:
        """A missing or corrupt file is named on stderr; other sources are still searched."""
        broken = tmp_path / "broken.json.gz"
        broken.write_bytes(gzip.compress(b'{"Records": [')[:-8])
        code, out, err = run(
            str(broken), str(SAMPLE), "--event-name", "LeaveOrganization", "-f", "jsonl"
        )
        assert code == 2
        assert f"trailguard: skipped: {broken}" in err
        assert len(out.splitlines()) == 2

    @pytest.mark.parametrize("option", ["--report", "--output"])
    def test_unwritable_output_names_the_option(self, option: str, tmp_path: Path) -> None:
        """A report or output file in a missing folder is a one-line error naming the option."""
        target = tmp_path / "missing" / "out.txt"
        code, _, err = run(*ERRORS_OF_ONE_ACCOUNT, option, str(target))
        assert code == 2
        assert f"{option}: cannot write {target}: No such file or directory" in err

    def test_unknown_profile(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """--profile that does not exist is named."""
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
        code, _, err = run("--api", "--profile", "nope", "--event-name", "X")
        assert code == 2
        assert "--profile:" in err
        assert "nope" in err


class TestLookupEventsApi:
    @pytest.fixture
    def server(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
        """The fake LookupEvents endpoint at AWS's real rate, reached through AWS_ENDPOINT_URL."""
        records = [dict(e) for p in expand_paths([str(SAMPLE)]) for _, e in read_events(p)]
        module = testing_cloudtrail
        with module.serving(module.LookupServer(records, rate=2)) as running:
            settings = {
                "AWS_ENDPOINT_URL": running.url,
                "AWS_ACCESS_KEY_ID": "AKIDTESTING",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_CONFIG_FILE": str(tmp_path / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            }
            for key, value in settings.items():
                monkeypatch.setenv(key, value)
            monkeypatch.delenv("AWS_PROFILE", raising=False)
            yield running

    def test_api_gives_what_the_archive_gives(self, server: Any) -> None:
        """--api --access-key: one AccessKeyId lookup; Describe* excluded locally; same events."""
        query = ("--access-key", "AKIATFQR7NSC8Q4X20BJ", "--exclude-event-name", "Describe*")
        code, out, err = run(
            "--api", "--region", "us-east-1", *query, "-f", "jsonl", "--fields", "eventID"
        )
        assert code == 0, err
        _, archive, _ = run(
            str(SAMPLE), "--region", "us-east-1", *query, "-f", "jsonl", "--fields", "eventID"
        )
        assert out == archive
        assert len(out.splitlines()) > 100
        assert "LookupEvents in us-east-1 (AccessKeyId=AKIATFQR7NSC8Q4X20BJ)" in err
        assert not any(call.throttled for call in server.calls)
        sent = {json.dumps(call.body["LookupAttributes"]) for call in server.calls}
        assert sent == {
            '[{"AttributeKey": "AccessKeyId", "AttributeValue": "AKIATFQR7NSC8Q4X20BJ"}]'
        }

    def test_default_regions_include_us_east_1(self, server: Any) -> None:
        """Without --region: the profile's region and us-east-1 (global-service events)."""
        code, _, err = run("--api", "--event-name", "LeaveOrganization", "-f", "jsonl")
        assert code == 0
        assert {call.region for call in server.calls} == {"eu-west-1", "us-east-1"}
        assert "in eu-west-1, us-east-1" in err

    def test_all_regions(self, server: Any) -> None:
        """--all-regions asks EC2 for the enabled regions and searches each."""
        code, _, _ = run(
            "--api",
            "--all-regions",
            "--event-id",
            "be7f89b5-d456-4423-b3e6-0fb0b19bad7c",
            "-f",
            "jsonl",
        )
        assert code == 0
        assert sorted({call.region for call in server.calls}) == list(server.enabled_regions)

    @pytest.mark.usefixtures("server")
    def test_region_without_us_east_1_gets_a_note(self) -> None:
        """Asking for IAM events in eu-west-1 only reminds that they are in us-east-1."""
        code, _, err = run("--api", "--region", "eu-west-1", "--event-source", "iam")
        assert code == 1
        assert "add --region us-east-1" in err

    def test_throttling_is_retried(self, server: Any) -> None:
        """ThrottlingException answers are retried after a backoff; the search completes."""
        server.force_throttles = 2
        code, out, _ = run(
            "--api", "--region", "us-east-1", "--event-name", "LeaveOrganization", "-f", "jsonl"
        )
        assert code == 0
        assert len(out.splitlines()) == 1
        throttled = [call.throttled for call in server.calls]
        assert throttled[:2] == [True, True]
        assert throttled[-1] is False

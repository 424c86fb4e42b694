from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from trailguard.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"
DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "cloudtrail" / "aws_docs_examples.jsonl"
FAILED_SIGN_IN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class TestFilterTest:
    def test_cis_failed_sign_in_filter_on_cloudtrail(self) -> None:
        """The CIS 4.6 filter finds the failed console sign-ins of the AWS samples, with line numbers."""
        expected = [
            n
            for n, line in enumerate(DOCS.read_text().splitlines(), start=1)
            if json.loads(line).get("errorMessage") == "Failed authentication"
            and json.loads(line).get("eventName") == "ConsoleLogin"
        ]
        code, out, _ = run("filter", "test", FAILED_SIGN_IN, str(DOCS))
        assert code == 0
        lines = out.splitlines()
        assert [int(line.split("  ")[0].rsplit(":", 1)[1]) for line in lines[:-1]] == expected
        assert lines[-1] == f"{len(expected)} of 29 events matched"

    def test_plain_log_lines_and_values(self, tmp_path: Path) -> None:
        """Plain log files are matched line by line; --value prints the extracted number."""
        log = tmp_path / "app.log"
        log.write_text("127.0.0.1 GET /a 200 512\n127.0.0.1 GET /b 404 10\n")
        code, out, _ = run(
            "filter", "test", "[ip, method, path, status=4*, size]", "--value", "$size", str(log)
        )
        assert code == 0
        assert out.splitlines() == [
            f"{log}:2  10  127.0.0.1 GET /b 404 10",
            "1 of 2 events matched",
        ]

    def test_no_match_and_invalid_pattern(self, tmp_path: Path) -> None:
        """No match exits 1; an invalid pattern exits 2 with a message and no traceback."""
        log = tmp_path / "app.log"
        log.write_text("hello\n")
        assert run("filter", "test", "ERROR", str(log))[0] == 1
        code, _, err = run("filter", "test", "{ $.eventName = ", str(log))
        assert code == 2
        assert "trailguard: error:" in err
        assert "Traceback" not in err


class TestAlarmReplay:
    def _burst(self, tmp_path: Path) -> Path:
        failure = next(
            json.loads(line)
            for line in DOCS.read_text().splitlines()
            if json.loads(line).get("errorMessage") == "Failed authentication"
        )
        records = []
        for index, minute in enumerate((1, 2, 3, 21)):
            record = dict(failure, eventTime=f"2024-03-01T12:{minute:02d}:00Z", eventID=f"f{index}")
            records.append(record)
        path = tmp_path / "burst.json"
        path.write_text(json.dumps({"Records": records}))
        return path

    def test_burst_trips_the_alarm_and_names_the_records(self, tmp_path: Path) -> None:
        """Three failures in one 5-minute period trip Sum >= 3; the ALARM lists those records."""
        code, out, _ = run(
            "alarm",
            "replay",
            "--filter",
            FAILED_SIGN_IN,
            "--threshold",
            "3",
            str(self._burst(tmp_path)),
        )
        assert code == 0
        lines = out.splitlines()
        alarm_at = next(i for i, line in enumerate(lines) if "-> ALARM" in line)
        assert lines[alarm_at].startswith("2024-03-01T12:05:00Z  INSUFFICIENT_DATA -> ALARM")
        shown = [line.split()[0] for line in lines[alarm_at + 1 : alarm_at + 4]]
        assert shown == ["2024-03-01T12:01:00Z", "2024-03-01T12:02:00Z", "2024-03-01T12:03:00Z"]

    def test_never_alarming_exits_one(self, tmp_path: Path) -> None:
        """A threshold the data never reaches leaves the alarm out of ALARM: exit status 1."""
        code, out, _ = run(
            "alarm",
            "replay",
            "--filter",
            FAILED_SIGN_IN,
            "--threshold",
            "10",
            str(self._burst(tmp_path)),
        )
        assert code == 1
        assert "-> ALARM" not in out

    def test_alarm_file_and_bad_definition(self, tmp_path: Path) -> None:
        """--alarm reads PutMetricAlarm JSON; a bad field is named with AWS's rule."""
        alarm = tmp_path / "alarm.json"
        alarm.write_text(
            json.dumps({"Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 2})
        )
        code, _, err = run(
            "alarm",
            "replay",
            "--filter",
            FAILED_SIGN_IN,
            "--alarm",
            str(alarm),
            str(self._burst(tmp_path)),
        )
        assert code == 2
        assert "DatapointsToAlarm" in err

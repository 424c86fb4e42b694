from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trailguard.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"
ROOT_RULE = """\
id: root
title: Root activity
severity: critical
eventbridge: {detail: {userIdentity: {type: [Root]}}}
"""
STOP_RULE = """\
id: stop-logging
title: CloudTrail logging stopped
severity: high
eventbridge: {source: [aws.cloudtrail], detail: {eventName: [StopLogging]}}
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "root.yaml").write_text(ROOT_RULE)
    (folder / "stop.yaml").write_text(STOP_RULE)
    return folder


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class TestScan:
    def test_json_lines_output_and_summary(self, rules_dir: Path, tmp_path: Path) -> None:
        """--format jsonl prints one alert with its record per line; the summary goes to stderr."""
        db = tmp_path / "a.db"
        code, out, err = run(
            "scan",
            "--no-builtin",
            "--rules",
            str(rules_dir),
            "-f",
            "jsonl",
            "--db",
            str(db),
            str(SAMPLE),
        )
        assert code == 0
        alerts = [json.loads(line) for line in out.splitlines()]
        assert {a["rule"] for a in alerts} == {"root", "stop-logging"}
        assert all(a["record"]["eventID"] == a["eventID"] for a in alerts)
        assert f"{len(alerts)} alerts, 0 problems" in err
        assert "new alerts stored" in err

    def test_store_keeps_each_alert_once(self, rules_dir: Path, tmp_path: Path) -> None:
        """Scanning the same logs twice stores nothing new the second time."""
        db = tmp_path / "a.db"
        args = (
            "scan",
            "--no-builtin",
            "--rules",
            str(rules_dir),
            "-f",
            "csv",
            "--db",
            str(db),
            str(SAMPLE),
        )
        _, _, first_err = run(*args)
        _, _, second_err = run(*args)
        assert "0 new alerts stored" not in first_err
        assert "0 new alerts stored" in second_err
        code, listed, _ = run(
            "alerts", "list", "--db", str(db), "-f", "csv", "--rule", "stop-logging"
        )
        assert code == 0
        rows = list(csv.DictReader(io.StringIO(listed)))
        assert rows
        assert {r["rule"] for r in rows} == {"stop-logging"}
        assert all(r["eventName"] == "StopLogging" for r in rows)

    def test_fail_on_exits_three(self, rules_dir: Path) -> None:
        """--fail-on critical exits 3 when a critical alert is raised."""
        code, _, _ = run(
            "scan",
            "--no-builtin",
            "--rules",
            str(rules_dir),
            "--no-store",
            "--fail-on",
            "critical",
            "-f",
            "json",
            str(SAMPLE),
        )
        assert code == 3

    def test_only_selects_rules(self, rules_dir: Path) -> None:
        """--only keeps just the named rules."""
        code, out, _ = run(
            "scan",
            "--no-builtin",
            "--rules",
            str(rules_dir),
            "--only",
            "stop-logging",
            "--no-store",
            "-f",
            "json",
            str(SAMPLE),
        )
        assert code == 0
        assert {a["rule"] for a in json.loads(out)} == {"stop-logging"}

    def test_bad_rule_file_is_reported_with_its_line(self, tmp_path: Path) -> None:
        """A broken user rule stops the scan with file:line and exit status 2."""
        (tmp_path / "bad.yaml").write_text(
            "id: bad\ntitle: Bad\nseverity: urgent\neventbridge: {detail: {}}\n"
        )
        code, _, err = run(
            "scan", "--no-builtin", "--rules", str(tmp_path), "--no-store", str(SAMPLE)
        )
        assert code == 2
        assert f"{tmp_path / 'bad.yaml'}:3 (severity)" in err
        assert "Traceback" not in err

    def test_bad_time_is_a_clear_error(self, rules_dir: Path) -> None:
        """An unreadable --since names the value and the accepted forms."""
        code, _, err = run(
            "scan",
            "--no-builtin",
            "--rules",
            str(rules_dir),
            "--since",
            "yesterday-ish",
            str(SAMPLE),
        )
        assert code == 2
        assert "cannot read the time 'yesterday-ish'" in err


class TestRulesCommands:
    def test_validate_and_test_user_rules(self, rules_dir: Path) -> None:
        """Valid user rules validate and test with exit status 0."""
        assert run("rules", "validate", str(rules_dir))[:2] == (0, "2 rules valid, 0 problems\n")
        assert run("rules", "test", str(rules_dir))[:2] == (
            0,
            "2 rules passed (0 examples), 0 problems\n",
        )

    def test_test_fails_on_a_wrong_example(self, tmp_path: Path) -> None:
        """A rule whose example does not match fails `rules test` with exit status 1."""
        (tmp_path / "r.yaml").write_text(
            ROOT_RULE
            + "examples:\n  match:\n    - {eventTime: '2024-03-01T00:00:00Z', eventName: X, userIdentity: {type: IAMUser}}\n"
        )
        code, out, err = run("rules", "test", str(tmp_path))
        assert code == 1
        assert "example match[0] (X): the eventbridge pattern does not match it" in err
        assert out == "0 rules passed (0 examples), 1 problems\n"

    def test_export_eventbridge_and_metric_filters(self, tmp_path: Path) -> None:
        """Export gives PutRule parameters, with the read-only state where a rule needs it."""
        (tmp_path / "root.yaml").write_text(
            ROOT_RULE + "logs_filter: '{ $.userIdentity.type = \"Root\" }'\n"
        )
        (tmp_path / "stop.yaml").write_text(STOP_RULE)
        code, out, _ = run(
            "rules", "export", "--no-builtin", "--rules", str(tmp_path), "--format", "eventbridge"
        )
        assert code == 0
        exported = {r["Name"]: r for r in json.loads(out)}
        assert (
            exported["trailguard-root"]["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
        )
        assert exported["trailguard-stop-logging"]["State"] == "ENABLED"
        assert json.loads(exported["trailguard-stop-logging"]["EventPattern"]) == {
            "source": ["aws.cloudtrail"],
            "detail": {"eventName": ["StopLogging"]},
        }
        code, out, _ = run(
            "rules",
            "export",
            "--no-builtin",
            "--rules",
            str(tmp_path),
            "--format",
            "metric-filters",
        )
        (only,) = json.loads(out)
        assert only["metricFilter"]["filterPattern"] == '{ $.userIdentity.type = "Root" }'
        assert only["alarm"]["Threshold"] == 1.0
        assert only["alarm"]["Period"] == 300

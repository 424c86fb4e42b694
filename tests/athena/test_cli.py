"""``rules export --format athena-sql`` and ``search --format athena-sql`` end to end.

Golden outputs live in tests/golden/athena/. After a deliberate change of output, refresh them
with ``TRAILGUARD_UPDATE_GOLDEN=1 pytest tests/athena/test_cli.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from trailguard.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "athena"
UPDATE_GOLDEN = os.environ.get("TRAILGUARD_UPDATE_GOLDEN") == "1"
LOCATION = "s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"output differs from {path.relative_to(ROOT)}"


class TestRulesExport:
    def test_the_built_in_pack(self) -> None:
        code, out, err = run("rules", "export", "--format", "athena-sql")
        assert code == 0
        check_golden("rules-export.sql", out)
        # What is left out, and the thresholds not applied, are said on stderr too.
        assert "trailguard: note: security-group-open-to-world not exported: " in err
        assert "trailguard: note: unauthorized-api-call: threshold not applied" in err

    def test_with_the_ddl_of_an_org_trail(self) -> None:
        code, out, _ = run(
            "rules", "export", "--format", "athena-sql", "--only", "console-login-root",
            "--ddl", "--table", "security.trail", "--location", "s3://org-trail/AWSLogs/o-abc123",
            "--account", "111122223333", "--region", "us-east-1", "--region", "eu-west-1",
        )  # fmt: skip
        assert code == 0
        check_golden("rules-export-org-ddl.sql", out)

    def test_a_rule_file_with_only_a_filter_is_translated(self, tmp_path: Path) -> None:
        rule = tmp_path / "r.yaml"
        rule.write_text(
            "id: no-mfa\ntitle: No MFA\nseverity: low\ndescription: d\n"
            "logs_filter: '{ $.additionalEventData.MFAUsed != \"Yes\" }'\n"
        )
        code, out, _ = run(
            "rules", "export", "--no-builtin", "--rules", str(rule), "--format", "athena-sql"
        )
        assert code == 0
        assert "-- severity: low; match: logs_filter" in out
        assert "json_extract(additionaleventdata, '$.MFAUsed')" in out

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--ddl",), "--ddl applies to --format athena-sql"),
            (("--table", "x"), "--table applies to --format athena-sql"),
            (("--format", "athena-sql", "--location", LOCATION), "describe the table for --ddl"),
            (("--format", "athena-sql", "--ddl", "--location", "bucket"), "--location: 'bucket'"),
        ],
    )
    def test_usage_errors_name_the_option(self, args: tuple[str, ...], message: str) -> None:
        code, _, err = run("rules", "export", *args)
        assert code == 2
        assert message in err

    def test_other_formats_are_unchanged(self) -> None:
        code, out, _ = run("rules", "export", "--format", "eventbridge", "--only", "console-login")
        assert code == 0
        assert '"Name": "trailguard-console-login"' in out


class TestSearch:
    def test_prints_the_query_instead_of_searching(self) -> None:
        code, out, _ = run(
            "search", "--format", "athena-sql", "--since", "2026-01-01T00:00:00Z",
            "--until", "2026-01-02T00:00:00Z", "--access-key", "AKIAIOSFODNN7EXAMPLE",
            "--exclude-event-name", "Describe*", "--write-only",
        )  # fmt: skip
        assert code == 0
        check_golden("search.sql", out)

    def test_with_the_ddl_and_to_a_file(self, tmp_path: Path) -> None:
        target = tmp_path / "q.sql"
        code, out, _ = run(
            "search", "--format", "athena-sql", "--ddl", "--user", "alice", "-o", str(target)
        )
        assert code == 0
        assert out == ""
        text = target.read_text()
        assert text.startswith("-- Replace s3://BUCKET/")
        assert "CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs (" in text
        assert "FROM cloudtrail_logs\nWHERE " in text

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--summary",), "--summary needs a search"),
            (("--timeline",), "--timeline needs a search"),
            (("--report", "r.html"), "--report needs a search"),
            (("--api",), "--api needs a search"),
            (("--limit", "5"), "--limit needs a search"),
            (("--fields", "eventName"), "--fields needs a search"),
            (("AWSLogs/",), "reads no SOURCE"),
        ],
    )
    def test_search_only_options_are_usage_errors(
        self, args: tuple[str, ...], message: str
    ) -> None:
        code, _, err = run("search", "--format", "athena-sql", *args)
        assert code == 2
        assert message in err

    def test_ddl_without_athena_sql_is_a_usage_error(self) -> None:
        code, _, err = run("search", "--ddl", "-")
        assert code == 2
        assert "--ddl applies to --format athena-sql" in err

    def test_an_untranslatable_match_is_named(self) -> None:
        code, out, err = run(
            "search", "--format", "athena-sql", "--match",
            '{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/8"}]}}',
        )  # fmt: skip
        assert code == 2
        assert out == ""
        assert "--match detail.sourceIPAddress: an IP address or CIDR match" in err


def test_other_commands_do_not_take_athena_sql() -> None:
    code, _, err = run("rules", "list", "--format", "athena-sql")
    assert code == 2
    assert "'athena-sql' is not one of" in err

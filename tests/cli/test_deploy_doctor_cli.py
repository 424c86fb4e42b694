"""`trailguard deploy` and `trailguard doctor` from the command line, against moto over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trailguard.cli import main

CONFIG = """\
time_zone: UTC
rules:
  only: [console-login-root, root-account-usage]
deploy:
  home_region: eu-west-1
  regions: [eu-west-1]
  realtime:
    dependencies: {deps}
  metric_filters:
    rules: [root-account-usage]
    alarm_emails: [secops@example.com]
  secrets:
    /trailguard/slack-webhook-url: env:TEST_SLACK_URL
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A trailguard.yaml with two rules; the package gets no third-party dependencies."""
    deps = tmp_path / "lambda-deps"
    deps.mkdir()
    path = tmp_path / "trailguard.yaml"
    path.write_text(CONFIG.format(deps=deps))
    return path


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.usefixtures("aws")
class TestDoctor:
    def test_empty_account_json(self) -> None:
        """No trail: one critical finding, as JSON, and exit 0 without --fail-on."""
        result = run("doctor", "--region", "eu-west-1", "--format", "json")
        assert result.exit_code == 0, result.output
        findings = json.loads(result.stdout)
        assert [f["id"] for f in findings] == ["no-trail"]
        assert findings[0]["severity"] == "critical"
        assert "create-trail" in findings[0]["fix"]
        assert "1 findings (1 critical)" in result.stderr

    def test_fail_on_exits_1_at_or_above_the_severity(self) -> None:
        """--fail-on high exits 1 for a critical finding; the table names the finding."""
        result = run("doctor", "--region", "eu-west-1", "--fail-on", "high")
        assert result.exit_code == 1
        assert "no-trail" in result.stdout

    def test_aws_errors_are_one_line(self, monkeypatch) -> None:
        """An unreachable endpoint: the error and the call, no traceback, exit 2."""
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        result = run("doctor", "--region", "eu-west-1")
        assert result.exit_code == 2
        assert result.stderr.startswith("trailguard: error: EndpointConnectionError")
        assert "Traceback" not in result.output

    def test_unknown_profile(self) -> None:
        """A profile that does not exist is named in the error."""
        result = run("doctor", "--profile", "nope", "--region", "eu-west-1")
        assert result.exit_code == 2
        assert "ProfileNotFound" in result.stderr
        assert "nope" in result.stderr


@pytest.mark.usefixtures("aws")
class TestDeploy:
    def test_plan_apply_plan_destroy(self, config: Path) -> None:
        """plan lists creates, apply makes them, a second plan is empty, destroy cleans up."""
        env = {"TEST_SLACK_URL": "https://hooks.example.com/T/B/X"}
        planned = run("deploy", "plan", "--config", str(config), "--format", "json", env=env)
        assert planned.exit_code == 0, planned.output
        changes = json.loads(planned.stdout)
        assert {c["action"] for c in changes} == {"create"}
        kinds = {c["kind"] for c in changes}
        assert {"trail", "lambda-function", "event-rule", "metric-filter", "metric-alarm"} <= kinds
        assert "covering ap-southeast-2, eu-north-1, eu-west-1, us-east-1, us-east-2" in (
            planned.stderr
        )
        applied = run("deploy", "apply", "--config", str(config), env=env)
        assert applied.exit_code == 0, applied.output
        assert "+ create trail trailguard in eu-west-1" in applied.stderr
        again = run("deploy", "plan", "--config", str(config), env=env)
        assert again.exit_code == 0
        assert "trailguard: 0 changes" in again.stderr
        doctor = run("doctor", "--region", "eu-west-1", "--format", "json")
        ids = {f["id"] for f in json.loads(doctor.stdout)}
        assert ids == {"cis-metric-filter-missing"}  # only one CIS rule was chosen
        destroyed = run("deploy", "destroy", "--config", str(config), "--yes", env=env)
        assert destroyed.exit_code == 0, destroyed.output
        assert "- delete trail trailguard in eu-west-1" in destroyed.stderr
        assert "= retain s3-bucket" in destroyed.stderr

    def test_missing_secret_is_a_clear_error(self, config: Path) -> None:
        """A secret whose environment variable is not set: named, exit 2, nothing done."""
        result = run("deploy", "plan", "--config", str(config))
        assert result.exit_code == 2
        assert "/trailguard/slack-webhook-url needs $TEST_SLACK_URL" in result.stderr

    def test_every_settings_problem_at_once_with_lines(self, tmp_path: Path) -> None:
        """Three mistakes, three messages, each with file:line."""
        path = tmp_path / "trailguard.yaml"
        path.write_text(
            "time_zone: UTC\n"
            "deploy:\n"
            "  home_region: Ireland\n"
            "  trail:\n"
            "    kms: maybe\n"
            "  realtime:\n"
            "    memory: 64\n"
        )
        result = run("deploy", "plan", "--config", str(path))
        assert result.exit_code == 2
        lines = [line for line in result.stderr.splitlines() if str(path) in line]
        assert [line.split(f"{path}:")[1].split(" ")[0] for line in lines] == ["3", "5", "7"]
        assert "not a region name: 'Ireland'" in result.stderr

    def test_no_deploy_section(self, tmp_path: Path) -> None:
        """A configuration without deploy: says so."""
        path = tmp_path / "trailguard.yaml"
        path.write_text("time_zone: UTC\n")
        result = run("deploy", "apply", "--config", str(path))
        assert result.exit_code == 2
        assert "no 'deploy:' section" in result.stderr

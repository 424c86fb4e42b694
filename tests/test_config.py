from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from trailguard.config import (
    Boto3Clients,
    InvalidConfig,
    SecretRef,
    SecretResolver,
    Target,
    load_config,
    parse_config,
)
from trailguard.errors import ConfigError
from trailguard.rules import Severity

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "trailguard.yaml"

BAD = """\
time_zone: Mars/Base
destinations:
  slack:
    type: slack
    webhook_url: https://hooks.slack.com/services/T000/B000/XXXX
  mail:
    type: email
    host: smtp.example.com
    tls: none
    password: env:SMTP_PASSWORD
  pager:
    type: pagerduty
routes:
  - match: {severity: urgent}
    to: [nowhere]
suppressions:
  - principals: ["arn:aws:iam::*:role/ci"]
    source_ips: [not-an-ip]
    expires: tomorrow
throttle: {window: soon}
colour: blue
"""


class TestLoad:
    def test_example_config_is_valid(self) -> None:
        """The example shipped in examples/ loads, with every section understood."""
        config = load_config(EXAMPLE)
        assert config.time_zone == "Asia/Seoul"
        assert set(config.destinations) == {
            "security-slack",
            "slack-bot",
            "teams",
            "siem",
            "oncall-email",
            "audit-email",
            "sns",
        }
        slack = config.destinations["slack-bot"]
        assert slack.options["token"] == SecretRef(
            "secretsmanager", "trailguard/slack", "bot_token"
        )
        critical = config.routes[1]
        assert critical.match.min_severity is Severity.CRITICAL
        assert [t.id for t in critical.targets] == ["slack-bot:#oncall", "oncall-email"]
        assert config.throttle.window == 900
        assert config.accounts.aliases["111122223333"] == "prod"
        assert config.accounts.lookup == ("organizations", "iam")
        assert config.suppressions[1].expires == datetime(2026, 7, 1, tzinfo=UTC)
        assert "console-login" in config.rules.exclude

    def test_every_problem_is_reported_at_once_with_its_line(self, tmp_path: Path) -> None:
        """A bad file gives one error per problem, each at file:line, sorted by line."""
        path = tmp_path / "trailguard.yaml"
        path.write_text(BAD)
        with pytest.raises(InvalidConfig) as caught:
            load_config(path)
        lines = str(caught.value).splitlines()
        expected = [
            ":1 (time_zone): unknown time zone 'Mars/Base'",
            ":5 (webhook_url): destination 'slack': 'webhook_url' is a secret",
            ":7: destination 'mail': 'from' is required",
            ":7: destination 'mail': 'to' is required",
            ":9 (tls): destination 'mail': refusing to send a password without TLS",
            ":10 (password): destination 'mail': a password needs a username",
            ":12 (type): destination 'pager': type must be one of",
            ":14 (severity): unknown severity 'urgent'",
            ":15: unknown destination 'nowhere'",
            ":17: a suppression needs a reason",
            ":18 (source_ips): 'not-an-ip' is not an IP address or CIDR block",
            ":19 (expires): expires: 'tomorrow' is not a date",
            ":20 (window): window: not a duration",
            ":21 (colour): unknown key 'colour'",
        ]
        assert len(lines) == len(expected)
        for line, wanted in zip(lines, expected, strict=True):
            assert line.startswith(str(path)), line
            assert wanted in line, (wanted, line)

    def test_secret_values_are_not_echoed(self, tmp_path: Path) -> None:
        """The error about a secret written in the file does not repeat the secret."""
        path = tmp_path / "trailguard.yaml"
        path.write_text(BAD)
        with pytest.raises(InvalidConfig) as caught:
            load_config(path)
        assert "XXXX" not in str(caught.value)

    def test_yaml_syntax_error_has_a_line(self) -> None:
        """Broken YAML is one problem at the line the parser stopped."""
        _, problems = parse_config("routes:\n  - to: [a\n", "x.yaml")
        assert len(problems) == 1
        assert str(problems[0]).startswith("x.yaml:")
        assert "not valid YAML" in str(problems[0])

    def test_empty_file_is_the_defaults(self) -> None:
        """An empty configuration is valid: UTC, no destinations, throttling on."""
        config, problems = parse_config("", "empty.yaml")
        assert problems == []
        assert config.time_zone == "UTC"
        assert config.throttle.enabled

    def test_channel_only_for_slack_bot(self) -> None:
        """A route channel on a webhook destination is an error at the route target."""
        text = """\
destinations:
  hook: {type: slack, webhook_url: env:HOOK}
routes:
  - to: [{destination: hook, channel: "#x"}]
"""
        _, problems = parse_config(text, "c.yaml")
        assert [str(p) for p in problems] == [
            "c.yaml:4 (destination): channel: applies only to a slack destination with a token"
        ]

    def test_templates_are_checked(self) -> None:
        """Unknown template placeholders are reported; record paths and rule fields are allowed."""
        text = """\
templates:
  my-rule:
    title: "{principal} did {event_name} to {requestParameters.userName} ({fields.key}) {nope}"
"""
        _, problems = parse_config(text, "t.yaml")
        assert len(problems) == 1
        assert "unknown placeholder {nope}" in str(problems[0])
        assert str(problems[0]).startswith("t.yaml:3 (title)")

    def test_account_ids_must_be_twelve_digits(self) -> None:
        """An account id YAML read as a number of the wrong length is reported."""
        text = "routes: []\naccounts:\n  aliases:\n    12345: short\n"
        _, problems = parse_config(text, "a.yaml")
        assert "'12345' is not a 12-digit account id" in str(problems[0])


class TestTarget:
    def test_id_round_trips(self) -> None:
        """A target with a channel is recorded as name:channel and parsed back."""
        target = Target("slack-bot", "#oncall")
        assert Target.parse(target.id) == target
        assert Target.parse("plain") == Target("plain")


class TestSecrets:
    def test_environment_reference(self) -> None:
        """env:NAME reads the variable; a missing one names the reference, not a value."""
        resolver = SecretResolver(environ={"HOOK": "https://example.com/hook"})
        assert resolver.resolve(SecretRef("env", "HOOK")) == "https://example.com/hook"
        with pytest.raises(ConfigError, match="env:MISSING"):
            resolver.resolve(SecretRef("env", "MISSING"))

    def test_plain_strings_pass_through(self) -> None:
        """A non-secret option given as text is returned unchanged."""
        assert SecretResolver(environ={}).resolve("https://example.com") == "https://example.com"

    @pytest.mark.usefixtures("aws")
    def test_ssm_secure_string_and_secrets_manager(
        self,
    ) -> None:
        """ssm: and secretsmanager: references are read from AWS (moto over HTTP), once each."""
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name="/trailguard/hook", Value="https://hooks/1", Type="SecureString")
        manager = boto3.client("secretsmanager")
        manager.create_secret(Name="trailguard/slack", SecretString='{"bot_token": "xoxb-1"}')
        manager.create_secret(Name="plain", SecretString="s3cret")
        resolver = SecretResolver(Boto3Clients(), environ={})
        assert resolver.resolve(SecretRef.parse("ssm:/trailguard/hook")) == "https://hooks/1"  # type: ignore[arg-type]
        ref = SecretRef.parse("secretsmanager:trailguard/slack#bot_token")
        assert ref is not None
        assert resolver.resolve(ref) == "xoxb-1"
        assert resolver.resolve(SecretRef("secretsmanager", "plain")) == "s3cret"
        ssm.put_parameter(
            Name="/trailguard/hook", Value="changed", Type="SecureString", Overwrite=True
        )
        assert resolver.resolve(SecretRef("ssm", "/trailguard/hook")) == "https://hooks/1"

    @pytest.mark.usefixtures("aws")
    def test_missing_parameter_names_the_reference(
        self,
    ) -> None:
        """A parameter that does not exist is a ConfigError naming it and AWS's code."""
        resolver = SecretResolver(Boto3Clients(), environ={})
        with pytest.raises(ConfigError, match=r"ssm:/nope: ParameterNotFound"):
            resolver.resolve(SecretRef("ssm", "/nope"))

"""The deploy section: defaults, every problem at once with its line, and the split file."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailguard.errors import ConfigError
from trailguard.infra.settings import (
    DeploySettings,
    InvalidDeploySettings,
    read_deploy_file,
)
from trailguard.rules._yaml import load_yaml


def parse(text: str) -> DeploySettings:
    return DeploySettings.from_mapping(load_yaml(text)["deploy"], source="trailguard.yaml")


class TestDeploySettings:
    def test_defaults(self) -> None:
        """Only the home region is required; the rest has safe defaults."""
        chosen = parse("deploy:\n  home_region: eu-west-1\n")
        assert chosen.home_region == "eu-west-1"
        assert chosen.regions == ()
        assert chosen.trail.cloudwatch_logs
        assert not chosen.trail.kms
        assert chosen.realtime.rules == ("*",)
        assert chosen.metric_filters.rules == ("cis-aws-foundations",)
        assert chosen.all_tags == {"managed-by": "trailguard"}

    def test_every_problem_at_once_with_its_line(self) -> None:
        """Six mistakes in one file give six messages, sorted by line."""
        text = (
            "deploy:\n"
            "  regions: [mars-north-1]\n"
            "  trail:\n"
            "    log_retention_days: 10\n"
            "    colour: blue\n"
            "  metric_filters:\n"
            "    alarm_emails: [not-an-address]\n"
            "  secrets:\n"
            "    /trailguard/slack: https://hooks.slack.com/T/B/X\n"
        )
        with pytest.raises(InvalidDeploySettings) as caught:
            parse(text)
        problems = caught.value.problems
        assert [p.location.line for p in problems] == [2, 2, 4, 5, 7, 9]
        assert "home_region is required" in str(problems[0])
        assert "not a region name: 'mars-north-1'" in str(problems[1])
        assert "unknown trail key 'colour'" in str(problems[3])
        assert "never the file" in str(problems[5])
        assert str(problems[1]).startswith("trailguard.yaml:2")

    def test_the_managed_by_tag_is_reserved(self) -> None:
        """Users cannot set the tag that marks what destroy may remove."""
        with pytest.raises(ConfigError, match="managed-by tag is trailguard's own"):
            parse("deploy:\n  home_region: eu-west-1\n  tags: {managed-by: me}\n")


class TestDeployFile:
    def test_split_keeps_the_rest_with_its_lines(self, tmp_path: Path) -> None:
        """The deploy section becomes blank lines; the rest keeps comments and line numbers."""
        path = tmp_path / "trailguard.yaml"
        path.write_text(
            "# alerts\n"
            "time_zone: UTC\n"
            "deploy:\n"
            "  home_region: eu-west-1\n"
            "  regions: [eu-west-1]\n"
            "throttle:\n"
            "  window: 15m  # digest repeats\n"
        )
        found = read_deploy_file(path)
        assert found.settings.regions == ("eu-west-1",)
        assert found.config_text.splitlines() == [
            "# alerts",
            "time_zone: UTC",
            "",
            "",
            "",
            "throttle:",
            "  window: 15m  # digest repeats",
        ]

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that is not there is named."""
        with pytest.raises(ConfigError, match="No such file"):
            read_deploy_file(tmp_path / "nope.yaml")

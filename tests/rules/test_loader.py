from __future__ import annotations

from pathlib import Path

import pytest

from trailguard.rules import Severity, Threshold, load_rules, parse_duration

GOOD_RULE = """\
id: root-sign-in
title: Root console sign-in
severity: critical
tags: [cis-aws-foundations:4.3]
eventbridge:
  detail-type: [AWS Console Sign In via CloudTrail]
  detail:
    userIdentity:
      type: [Root]
logs_filter: '{ $.userIdentity.type = "Root" && $.eventName = "ConsoleLogin" }'
threshold: {count: 5, window: 5m, group_by: [sourceIPAddress]}
examples:
  match:
    - eventTime: "2024-03-01T00:00:00Z"
      eventType: AwsConsoleSignIn
      eventName: ConsoleLogin
      eventSource: signin.amazonaws.com
      userIdentity: {type: Root}
      additionalEventData: {MFAUsed: Yes}
  no_match:
    - eventTime: 2024-03-01T00:00:00Z
      eventType: AwsConsoleSignIn
      eventName: ConsoleLogin
      eventSource: signin.amazonaws.com
      userIdentity: {type: IAMUser}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


class TestGoodRule:
    def test_loads_and_compiles(self, tmp_path: Path) -> None:
        """A valid rule loads with its severity, tags, threshold and examples."""
        write(tmp_path, "root.yaml", GOOD_RULE)
        rules, problems = load_rules([tmp_path])
        assert not problems
        (rule,) = rules
        assert rule.severity is Severity.CRITICAL
        assert rule.threshold == Threshold(count=5, window=300, group_by=("sourceIPAddress",))
        assert rule.has_tag("cis-aws-foundations")
        assert rule.matches(rule.examples.match[0])
        assert not rule.matches(rule.examples.no_match[0])

    def test_yaml_keeps_cloudtrail_strings(self, tmp_path: Path) -> None:
        """'Yes' and unquoted timestamps stay strings, as CloudTrail writes them."""
        write(tmp_path, "root.yaml", GOOD_RULE)
        (rule,), _ = load_rules([tmp_path])
        assert rule.examples.match[0]["additionalEventData"]["MFAUsed"] == "Yes"
        assert rule.examples.no_match[0]["eventTime"] == "2024-03-01T00:00:00Z"


class TestProblems:
    def test_every_problem_of_every_file_at_once(self, tmp_path: Path) -> None:
        """Unknown keys, bad severities and invalid patterns of two files all come back together."""
        write(
            tmp_path,
            "a.yaml",
            "id: a\ntitle: A\nseverity: urgent\nfoo: 1\neventbridge: {detail: {eventName: ConsoleLogin}}\n",
        )
        write(
            tmp_path, "b.yaml", "id: b\ntitle: B\nseverity: low\nlogs_filter: '{ $.eventName = }'\n"
        )
        rules, problems = load_rules([tmp_path])
        assert rules == []
        messages = [str(p) for p in problems.problems]
        assert any(
            m.startswith(f"{tmp_path / 'a.yaml'}:3 (severity): unknown severity 'urgent'")
            for m in messages
        )
        assert any(
            m.startswith(f"{tmp_path / 'a.yaml'}:4 (foo): unknown key 'foo'") for m in messages
        )
        assert any(
            m.startswith(
                f"{tmp_path / 'a.yaml'}:5 (eventbridge): Event pattern is not valid. Reason:"
            )
            for m in messages
        )
        assert any(m.startswith(f"{tmp_path / 'b.yaml'}:4 (logs_filter):") for m in messages)

    def test_failing_example_names_its_line_and_form(self, tmp_path: Path) -> None:
        """An example the pattern gets wrong is reported at its own line, naming the pattern."""
        text = GOOD_RULE.replace("userIdentity: {type: IAMUser}", "userIdentity: {type: Root}")
        write(tmp_path, "root.yaml", text)
        rules, problems = load_rules([tmp_path])
        assert rules == []
        line = text.splitlines().index("  no_match:") + 2
        assert [str(p) for p in problems.problems] == [
            f"{tmp_path / 'root.yaml'}:{line} (examples): example no_match[0] (ConsoleLogin): the eventbridge pattern matches it",
            f"{tmp_path / 'root.yaml'}:{line} (examples): example no_match[0] (ConsoleLogin): the logs_filter pattern matches it",
        ]

    def test_bad_yaml_names_the_line(self, tmp_path: Path) -> None:
        """YAML syntax errors carry the line of the problem."""
        write(tmp_path, "x.yaml", "id: x\ntitle: [unclosed\n")
        _, problems = load_rules([tmp_path])
        assert str(problems.problems[0]).startswith(f"{tmp_path / 'x.yaml'}:")
        assert "not valid YAML" in str(problems.problems[0])

    def test_duplicate_ids(self, tmp_path: Path) -> None:
        """Two files with one id: the second is refused, naming the first."""
        write(tmp_path, "a.yaml", GOOD_RULE)
        write(tmp_path, "b.yaml", GOOD_RULE)
        rules, problems = load_rules([tmp_path])
        assert len(rules) == 1
        assert "duplicate rule id 'root-sign-in'" in str(problems.problems[0])

    def test_a_rule_needs_a_match(self, tmp_path: Path) -> None:
        """A rule with neither eventbridge nor logs_filter is refused."""
        write(tmp_path, "a.yaml", "id: a\ntitle: A\nseverity: low\n")
        _, problems = load_rules([tmp_path])
        assert "needs a match" in str(problems.problems[0])


@pytest.mark.parametrize(
    ("text", "seconds"), [(300, 300), ("300s", 300), ("5m", 300), ("1h", 3600), ("1d", 86400)]
)
def test_durations(text: object, seconds: int) -> None:
    """Windows read as seconds or with s/m/h/d units."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "-5m", "5 minutes", True, None])
def test_bad_durations(text: object) -> None:
    """Anything else is refused with a message."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from trailguard.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"
ROOT_SIGN_IN = '{"detail-type":["AWS Console Sign In via CloudTrail"],"detail":{"userIdentity":{"type":["Root"]}}}'


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class TestPatternTest:
    def test_finds_root_console_sign_ins_in_the_sample_trail(self) -> None:
        """Root sign-ins in the sample are printed as MATCH with time, name and principal."""
        code, out, _ = run("pattern", "test", "--only-matching", ROOT_SIGN_IN, str(SAMPLE))
        assert code == 0
        lines = out.splitlines()
        assert lines[-1].endswith("events matched")
        matched = int(lines[-1].split()[0])
        assert matched >= 2
        assert len(lines) == matched + 1
        # Root's PasswordUpdated in the AWS samples is a console sign-in event too.
        assert all(" root " in line and line.endswith("MATCH") for line in lines[:-1])
        assert sum("ConsoleLogin" in line for line in lines[:-1]) >= 2

    def test_no_match_exits_one(self, tmp_path: Path) -> None:
        """When nothing matches, every event is listed as 'no match' and the exit status is 1."""
        record = {
            "eventTime": "2024-03-01T00:00:00Z",
            "eventName": "DescribeInstances",
            "eventSource": "ec2.amazonaws.com",
        }
        path = tmp_path / "one.json"
        path.write_text(json.dumps(record))
        code, out, _ = run("pattern", "test", ROOT_SIGN_IN, str(path))
        assert code == 1
        assert out.splitlines() == [
            f"2024-03-01T00:00:00Z  {'DescribeInstances':<32} {'unknown':<40} no match",
            "0 of 1 events matched",
        ]

    def test_pattern_from_a_file_and_events_from_stdin(self, tmp_path: Path) -> None:
        """PATTERN may be a file; `-` reads gzip trail files from standard input."""
        pattern_file = tmp_path / "p.json"
        pattern_file.write_text('{"detail": {"eventName": ["StopLogging"]}}')
        body = {
            "Records": [
                {
                    "eventTime": "2024-03-01T00:00:00Z",
                    "eventName": "StopLogging",
                    "eventSource": "cloudtrail.amazonaws.com",
                }
            ]
        }
        code, out, _ = run(
            "pattern",
            "test",
            "-q",
            str(pattern_file),
            "-",
            stdin=gzip.compress(json.dumps(body).encode()),
        )
        assert (code, out) == (0, "1 of 1 events matched\n")

    def test_invalid_pattern_exits_two_with_aws_message(self) -> None:
        """An invalid pattern is refused with EventBridge's own wording and exit status 2."""
        code, out, err = run(
            "pattern", "test", '{"detail": {"eventName": "ConsoleLogin"}}', str(SAMPLE)
        )
        assert code == 2
        assert out == ""
        assert "Event pattern is not valid. Reason:" in err
        assert "Traceback" not in err

    def test_unreadable_input_is_named_and_the_rest_is_read(self, tmp_path: Path) -> None:
        """A missing input is named on stderr, the others are still matched, and the status is 2."""
        missing = tmp_path / "missing.json.gz"
        code, out, err = run("pattern", "test", "-q", ROOT_SIGN_IN, str(missing), str(SAMPLE))
        assert code == 2
        assert "missing.json.gz" in err
        assert int(out.split()[0]) >= 2


class TestPatternValidate:
    def test_valid(self) -> None:
        """A valid pattern prints 'valid' and exits 0."""
        assert run("pattern", "validate", ROOT_SIGN_IN)[:2] == (0, "valid\n")

    def test_invalid(self) -> None:
        """An invalid pattern prints AWS's reason and exits 2."""
        code, _, err = run("pattern", "validate", '{"detail": {"eventName": [{"prefix": 42}]}}')
        assert code == 2
        assert "Event pattern is not valid. Reason:" in err

    def test_bad_json(self) -> None:
        """Text that is not JSON is refused like EventBridge refuses it, not with a traceback."""
        code, _, err = run("pattern", "validate", '{"detail": ')
        assert code == 2
        assert "Event pattern is not valid" in err

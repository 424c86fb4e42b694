"""`trailguard notify`, `scan --notify`, `alerts list --undelivered` and `alerts redeliver`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from trailguard.cli import main
from trailguard.testing import WebhookServer

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "examples" / "trailguard.yaml"
ROOT_RULE = """\
id: root
title: Root activity
severity: critical
eventbridge: {detail: {userIdentity: {type: [Root]}}}
"""
CONFIG = """\
time_zone: Asia/Seoul
destinations:
  slack: {type: slack, webhook_url: env:TG_TEST_HOOK}
  hook: {type: webhook, url: "{url}/hook", include_record: false}
routes:
  - to: [slack, hook]
delivery: {attempts: 2, backoff: 0.01, max_delay: 0.05}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookServer]:
    with WebhookServer() as running:
        monkeypatch.setenv("TG_TEST_HOOK", running.url + "/services/T/B/X")
        yield running


@pytest.fixture
def config(tmp_path: Path, server: WebhookServer) -> Path:
    path = tmp_path / "trailguard.yaml"
    path.write_text(CONFIG.replace("{url}", server.url))
    return path


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "root.yaml").write_text(ROOT_RULE)
    return folder


class TestNotifyTest:
    def test_sends_a_sample_alert(self, config: Path, server: WebhookServer) -> None:
        """The destination receives the sample root sign-in; the command says it was sent."""
        code, out, _ = run("notify", "test", "slack", "--config", str(config))
        assert code == 0
        assert out.strip() == "sent a test alert to slack (slack): ok"
        body = server.requests[0].json()
        assert (
            body["blocks"][0]["text"]["text"]
            == ":information_source: [Root] root AWS Console Login"
        )
        fields = [f["text"] for block in body["blocks"] for f in block.get("fields", [])]
        assert "*Time*\n2024-03-01 21:00:00 KST (2024-03-01 12:00:00 UTC)" in fields

    def test_a_failing_destination_exits_1_with_the_reason(
        self, config: Path, server: WebhookServer
    ) -> None:
        """A destination that keeps answering 500 is retried, then reported."""
        server.answer(500, {}, b"down")
        server.answer(500, {}, b"still down")
        code, _, err = run("notify", "test", "hook", "--config", str(config))
        assert code == 1
        assert "trailguard: error: hook: webhook answered HTTP 500: still down" in err
        assert len(server.requests) == 2

    def test_unknown_destination(self, config: Path) -> None:
        """A name not in the configuration is a usage error listing the known ones."""
        code, _, err = run("notify", "test", "pagerduty", "--config", str(config))
        assert code == 2
        assert "no destination 'pagerduty'" in err
        assert "(known: hook, slack)" in err

    def test_config_from_the_environment(
        self, config: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without --config, $TRAILGUARD_CONFIG is used."""
        monkeypatch.setenv("TRAILGUARD_CONFIG", str(config))
        code, _, _ = run("notify", "test", "hook")
        assert code == 0


class TestNotifyCheck:
    def test_summary_of_a_good_file(self) -> None:
        """The example configuration checks clean."""
        code, out, _ = run("notify", "check", "--config", str(EXAMPLE_CONFIG))
        assert code == 0
        assert "7 destinations, 4 routes, 2 suppressions" in out

    def test_every_problem_with_its_line(self, tmp_path: Path) -> None:
        """Each problem is printed on its own line with file:line; exit 2."""
        path = tmp_path / "bad.yaml"
        path.write_text(
            "destinations:\n  a: {type: slack, token: xoxb-literal}\nroutes:\n  - to: [b]\nthrottle: {window: never}\n"
        )
        code, _, err = run("notify", "check", "--config", str(path))
        assert code == 2
        lines = err.strip().splitlines()
        assert lines[0].startswith(
            f"trailguard: error: {path}:2 (type): destination 'a': give exactly one"
        ) or any(":2 (token)" in line for line in lines)
        assert any(f"{path}:4: unknown destination 'b'" in line for line in lines)
        assert any(f"{path}:5 (window)" in line for line in lines)
        assert "xoxb-literal" not in err

    def test_missing_default_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """No --config and no ./trailguard.yaml: a clear error."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("TRAILGUARD_CONFIG", raising=False)
        code, _, err = run("notify", "check")
        assert code == 2
        assert "no configuration at trailguard.yaml" in err


class TestScanNotify:
    def scan(self, config: Path, rules_dir: Path, db: Path) -> tuple[int, str, str]:
        return run(
            "scan",
            "--no-builtin",
            "--rules",
            str(rules_dir),
            "-f",
            "jsonl",
            "--db",
            str(db),
            "--notify",
            "--config",
            str(config),
            str(SAMPLE),
        )

    def test_alerts_are_delivered_once(
        self, config: Path, rules_dir: Path, tmp_path: Path, server: WebhookServer
    ) -> None:
        """Each alert goes to both destinations; a second scan of the same logs sends nothing new."""
        db = tmp_path / "t.db"
        code, out, err = self.scan(config, rules_dir, db)
        assert code == 0, err
        alerts = [json.loads(line) for line in out.splitlines()]
        hook_events = sorted(
            r.json()["event"]["eventID"] for r in server.requests if r.path == "/hook"
        )
        assert hook_events  # the sample trail has root activity
        sent = len(server.requests)
        assert "notifications:" in err
        assert "0 failed" in err
        code, _, err = self.scan(config, rules_dir, db)
        assert code == 0
        assert len(server.requests) == sent
        assert "0 delivered" in err
        assert len(alerts) >= len(set(hook_events))

    def test_failures_exit_4_are_listed_and_redelivered(
        self, config: Path, rules_dir: Path, tmp_path: Path, server: WebhookServer
    ) -> None:
        """Failed deliveries make scan exit 4, show in `alerts list --undelivered`, and `redeliver` sends them."""
        db = tmp_path / "t.db"
        for _ in range(200):
            server.answer(503, {}, b"maintenance")
        code, _, err = self.scan(config, rules_dir, db)
        assert code == 4
        assert "trailguard: delivery failed:" in err
        code, out, _ = run("alerts", "list", "--undelivered", "--db", str(db), "-f", "json")
        rows = json.loads(out)
        assert rows
        assert {row["status"] for row in rows} == {"failed"}
        assert {row["destination"] for row in rows} == {"slack", "hook"}
        assert all(row["attempts"] == 2 for row in rows), [
            (r["eventID"], r["destination"], r["attempts"]) for r in rows
        ]
        assert all("HTTP 503: maintenance" in row["detail"] for row in rows)
        server._script.clear()
        code, _, err = run("alerts", "redeliver", "--db", str(db), "--config", str(config))
        assert code == 0, err
        assert f"redelivery: {len(rows)} delivered" in err
        code, out, _ = run("alerts", "list", "--undelivered", "--db", str(db), "-f", "json")
        assert json.loads(out) == []

"""The pipeline end to end: suppress, route, throttle and deliver to a real local server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailguard.alerting import DeliveryKey, MemoryState, Pipeline
from trailguard.alerts import Alert
from trailguard.config import Boto3Clients
from trailguard.rules import Dedupe
from trailguard.store.deliveries import DeliveryStore
from trailguard.testing import WebhookServer

ONE_HOOK = """\
destinations:
  hook: {type: webhook, url: "{url}/hook", include_record: false}
routes:
  - to: [hook]
"""


def bodies(server: WebhookServer, path: str | None = None) -> list[dict[str, Any]]:
    return [r.json() for r in server.requests if path is None or r.path == path]


class TestRouting:
    def test_routes_by_rule_tag_severity_and_account(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """Each alert goes to every target of every route it matches, once per target."""
        pipeline = make_pipeline(
            """\
destinations:
  all: {type: webhook, url: "{url}/all", include_record: false}
  signin: {type: webhook, url: "{url}/signin", include_record: false}
  high: {type: webhook, url: "{url}/high", include_record: false}
  prod: {type: webhook, url: "{url}/prod", include_record: false}
routes:
  - to: [all]
  - match: {tags: [category:sign-in]}
    to: [signin, all]
  - match: {min_severity: high}
    to: [high]
  - match: {accounts: ["111111111111"], rules: [cloudtrail-*]}
    to: [prod]
throttle: {enabled: false}
"""
        )
        alerts = alerts_for(envelopes[:2] + envelopes[10:12])
        report = pipeline.run(alerts)
        by_path: dict[str, list[str]] = {}
        for request in server.requests:
            by_path.setdefault(request.path, []).append(request.json()["rule"]["id"])
        assert sorted(by_path["/all"]) == sorted(a.rule_id for a in alerts)
        assert sorted(by_path["/signin"]) == sorted(
            ["console-login-root", "console-login", "console-login-failure", "console-login"]
        )
        assert sorted(by_path["/high"]) == sorted(a.rule_id for a in alerts if a.severity >= 3)
        assert by_path["/prod"] == ["cloudtrail-config-change"]
        assert report.ok
        assert len(report.deliveries.delivered) == len(server.requests)

    def test_alerts_no_route_takes_are_counted(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
    ) -> None:
        """An alert that matches no route is not sent and is reported as unrouted."""
        pipeline = make_pipeline(
            ONE_HOOK.replace("  - to: [hook]", "  - match: {rules: [nothing]}\n    to: [hook]")
        )
        report = pipeline.run(alerts_for(envelopes[:1]))
        assert report.unrouted == 3
        assert report.deliveries.delivered == []


class TestSuppression:
    CONFIG = (
        ONE_HOOK
        + """\
throttle: {enabled: false}
suppressions:
  - reason: the TrailDiscover test user
    principals: ["arn:aws:iam::*:user/TrailDiscover"]
    event_names: [StopLogging]
  - reason: office network
    source_ips: [192.0.2.0/24]
    rules: [console-login*]
    expires: 2024-09-01
"""
    )

    def test_principal_glob_and_event_name(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """Every criterion of a suppression must hold: StopLogging is dropped, CreateAccessKey is not."""
        pipeline = make_pipeline(self.CONFIG)
        report = pipeline.run(alerts_for(envelopes[11:13]))
        assert report.suppressed == {"the TrailDiscover test user": 1}
        sent = [(b["rule"]["id"], b["event"]["eventName"]) for b in bodies(server)]
        assert sent == [("iam-and-security-group-changes", "CreateAccessKey")]

    def test_cidr_until_expiry(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        clock: Any,
    ) -> None:
        """Sign-ins from 192.0.2.0/24 are suppressed until the expiry, then sent again."""
        pipeline = make_pipeline(self.CONFIG)
        pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        assert server.requests == []
        clock.now = datetime(2024, 9, 1, tzinfo=UTC)
        pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        assert [b["rule"]["id"] for b in bodies(server)] == ["console-login-root"]


class TestThrottle:
    def repeats(self, alert: Alert, count: int, minutes_apart: int = 1) -> list[Alert]:
        """The alert and ``count`` repeats by the same principal, ``minutes_apart`` apart."""
        base = datetime.fromisoformat(alert.event_time)
        found = [alert]
        for i in range(1, count + 1):
            moment = base.replace(
                minute=(base.minute + i * minutes_apart) % 60,
                hour=base.hour + (base.minute + i * minutes_apart) // 60,
            )
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            record = {**alert.record, "eventID": f"repeat-{i}", "eventTime": stamp}
            found.append(replace(alert, event_id=f"repeat-{i}", event_time=stamp, record=record))
        return found

    def test_first_at_once_then_one_digest_with_a_count(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        clock: Any,
    ) -> None:
        """Repeats within the window are held; when the window ends one digest says how many."""
        pipeline = make_pipeline(ONE_HOOK + "throttle: {window: 15m}\n")
        [first] = alerts_for(envelopes[11:12], "cloudtrail-config-change")
        clock.now = datetime(2024, 8, 18, 13, 2, tzinfo=UTC)
        report = pipeline.run(self.repeats(first, 5))
        assert [b["kind"] for b in bodies(server)] == ["alert"]
        assert report.held == 5
        clock.now = datetime(2024, 8, 18, 13, 20, tzinfo=UTC)
        pipeline.flush()
        digest = bodies(server)[-1]
        assert digest["kind"] == "digest"
        assert (
            digest["title"]
            == "5 more: CloudTrail trail created, changed, started, stopped or deleted"
        )
        assert digest["event"]["digest"]["count"] == 5
        assert digest["event"]["digest"]["eventIDs"] == [f"repeat-{i}" for i in range(1, 6)]
        pipeline.flush()
        assert len(server.requests) == 2

    def test_a_repeat_after_the_window_opens_a_new_one(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """Scanning old logs: an alert after the window sends the digest and goes out itself."""
        pipeline = make_pipeline(ONE_HOOK + "throttle: {window: 10m}\n")
        [first] = alerts_for(envelopes[11:12], "cloudtrail-config-change")
        alerts = self.repeats(first, 12)  # one a minute: 1..9 held, the 10th after the window
        pipeline.run(alerts, flush_everything=True)
        kinds = [(b["kind"], b["event"]["eventID"], b["count"]) for b in bodies(server)]
        assert kinds == [
            ("alert", first.event_id, 1),
            ("digest", first.event_id, 9),
            ("alert", "repeat-10", 1),
            ("digest", "repeat-10", 2),
        ]

    def test_retried_batches_do_not_inflate_the_digest(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        clock: Any,
    ) -> None:
        """The same events submitted twice are counted once and the first is not re-sent."""
        state = MemoryState()
        [first] = alerts_for(envelopes[11:12], "cloudtrail-config-change")
        alerts = self.repeats(first, 3)
        clock.now = datetime(2024, 8, 18, 13, 5, tzinfo=UTC)
        make_pipeline(ONE_HOOK, state).run(alerts)
        report = make_pipeline(ONE_HOOK, state).run(alerts, flush_everything=True)
        assert len(report.deliveries.already_delivered) == 1
        assert [(b["kind"], b["count"]) for b in bodies(server)] == [("alert", 1), ("digest", 3)]

    def test_rule_dedupe_keys_and_window(
        self,
        make_pipeline: Callable[..., Pipeline],
        pack: dict[str, Any],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """A rule's own dedupe keys and window replace the configured ones."""
        [first] = alerts_for(envelopes[11:12], "cloudtrail-config-change")
        pack_with_dedupe = dict(pack)
        pack_with_dedupe["cloudtrail-config-change"] = replace(
            pack["cloudtrail-config-change"], dedupe=Dedupe(120, ("eventName",))
        )
        pipeline = make_pipeline(ONE_HOOK + "throttle: {enabled: false}\n")
        pipeline.rules = pack_with_dedupe
        pipeline.throttle._rules = pack_with_dedupe
        pipeline.run(self.repeats(first, 3), flush_everything=True)
        # One a minute with a 2-minute window: first, repeat-1 held, repeat-2 opens a window.
        sent = [(b["kind"], b["event"]["eventID"]) for b in bodies(server)]
        assert sent == [
            ("alert", first.event_id),
            ("digest", first.event_id),
            ("alert", "repeat-2"),
            ("digest", "repeat-2"),
        ]


class TestDelivery:
    def test_retry_after_is_honoured(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        sleeps: Any,
    ) -> None:
        """A 429 with Retry-After waits that long, then the next attempt delivers."""
        server.answer(429, {"Retry-After": "3"}, b"slow down")
        pipeline = make_pipeline(ONE_HOOK)
        report = pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        assert report.ok
        assert sleeps.waits == [3.0]
        key = report.deliveries.delivered[0]
        attempts = pipeline.state.attempts(key)
        assert [(a.outcome, a.status) for a in attempts] == [("retry", 429), ("delivered", None)]
        assert "HTTP 429: slow down" in attempts[0].detail

    def test_5xx_backs_off_then_fails_and_is_recorded(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        sleeps: Any,
    ) -> None:
        """Four 500s: waits 1, 2, 4 s, then the delivery is failed, recorded and reported."""
        for _ in range(4):
            server.answer(500, {}, b"oops")
        pipeline = make_pipeline(ONE_HOOK)
        report = pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        assert not report.ok
        assert sleeps.waits == [1.0, 2.0, 4.0]
        [(key, detail)] = report.deliveries.failed
        assert detail == "webhook answered HTTP 500: oops"
        [record] = pipeline.state.undelivered()
        assert (record.key, record.status, record.attempts) == (key, "failed", 4)

    def test_permanent_errors_are_not_retried(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        sleeps: Any,
    ) -> None:
        """A 404 fails at once."""
        server.answer(404, {}, b"no such hook")
        report = make_pipeline(ONE_HOOK).run(alerts_for(envelopes[:1], "console-login-root"))
        assert sleeps.waits == []
        assert len(report.deliveries.failed) == 1

    def test_retry_after_beyond_the_cap_gives_up_for_now(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        sleeps: Any,
    ) -> None:
        """Retry-After longer than max_delay is not slept through: failed now, retried later."""
        server.answer(429, {"Retry-After": "3600"}, b"")
        report = make_pipeline(ONE_HOOK).run(alerts_for(envelopes[:1], "console-login-root"))
        assert sleeps.waits == []
        assert len(report.deliveries.failed) == 1

    def test_never_delivered_twice(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        tmp_path: Path,
    ) -> None:
        """The same (rule, eventID, destination) reaches the server once across runs and processes."""
        alerts = alerts_for(envelopes[:1], "console-login-root")
        with DeliveryStore(tmp_path / "t.db") as state:
            make_pipeline(ONE_HOOK, state).run(alerts)
        with DeliveryStore(tmp_path / "t.db") as state:
            report = make_pipeline(ONE_HOOK, state).run(alerts)
        assert len(server.requests) == 1
        assert report.deliveries.already_delivered == [
            DeliveryKey("console-login-root", alerts[0].event_id, "hook")
        ]

    def test_redeliver_sends_what_failed(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        tmp_path: Path,
    ) -> None:
        """Failed deliveries are kept with their payload and sent again by redeliver."""
        server.answer(400, {}, b"bad")
        alerts = alerts_for(envelopes[:1], "console-login-root")
        with DeliveryStore(tmp_path / "t.db") as state:
            make_pipeline(ONE_HOOK, state).run(alerts)
            undelivered = state.undelivered()
        assert len(undelivered) == 1
        with DeliveryStore(tmp_path / "t.db") as state:
            report = make_pipeline(ONE_HOOK, state).redeliver(state.undelivered())
            assert report.ok
            assert state.undelivered() == []
        sent = server.requests[-1].json()
        assert (sent["rule"]["id"], sent["event"]["eventID"]) == (
            "console-login-root",
            alerts[0].event_id,
        )

    def test_a_missing_secret_fails_the_delivery(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
    ) -> None:
        """An unset environment variable is a recorded, reported failure that names the reference."""
        pipeline = make_pipeline(
            "destinations:\n  s: {type: slack, webhook_url: env:UNSET_HOOK}\nroutes:\n  - to: [s]\n"
        )
        report = pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        [(_, detail)] = report.deliveries.failed
        assert detail == "secret env:UNSET_HOOK: the environment variable UNSET_HOOK is not set"

    def test_destination_templates(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """A destination's template wins over the configuration's template for the rule."""
        pipeline = make_pipeline(
            """\
destinations:
  a: {type: webhook, url: "{url}/a", include_record: false}
  b:
    type: webhook
    url: "{url}/b"
    include_record: false
    templates: {"*": {title: "B: {principal} from {source_ip}"}}
routes:
  - to: [a, b]
templates:
  console-login-root: {title: "ROOT LOGIN in {account_alias}"}
accounts:
  aliases: {"111122223333": prod}
"""
        )
        pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        titles = {r.path: r.json()["title"] for r in server.requests}
        assert titles == {"/a": "ROOT LOGIN in prod", "/b": "B: root from 192.0.2.0"}


class TestAccountAliases:
    @pytest.mark.usefixtures("aws")
    def test_organizations_lookup_is_cached(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
        clock: Any,
    ) -> None:
        """Aliases come from Organizations ListAccounts (moto), and are looked up once."""
        organizations = boto3.client("organizations", region_name="us-east-1")
        organizations.create_organization(FeatureSet="ALL")
        clients = Boto3Clients()
        state = MemoryState()
        pipeline = make_pipeline(
            ONE_HOOK + "throttle: {enabled: false}\naccounts: {lookup: [organizations]}\n",
            state,
            clients=clients,
        )
        master = organizations.describe_organization()["Organization"]["MasterAccountId"]
        alert = alerts_for(envelopes[:1], "console-login-root")[0]
        record = {**alert.record, "recipientAccountId": master}
        pipeline.run([replace(alert, account=master, record=record)])
        event = server.requests[0].json()["event"]
        assert event["account"] == master
        assert event["accountAlias"] == "master"
        assert state.cached(f"alias:{master}", clock.now) == "master"

    @pytest.mark.usefixtures("aws")
    def test_iam_alias_of_the_current_account(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """IAM ListAccountAliases names the account the credentials belong to."""
        boto3.client("iam").create_account_alias(AccountAlias="moto-prod")
        pipeline = make_pipeline(
            ONE_HOOK + "accounts: {lookup: [organizations, iam]}\n", clients=Boto3Clients()
        )
        alert = alerts_for(envelopes[:1], "console-login-root")[0]
        record = {**alert.record, "recipientAccountId": "123456789012"}
        pipeline.run([replace(alert, account="123456789012", record=record)])
        assert server.requests[0].json()["event"]["accountAlias"] == "moto-prod"

    def test_failed_lookups_never_block_delivery(
        self,
        make_pipeline: Callable[..., Pipeline],
        alerts_for: Callable[..., list[Alert]],
        envelopes: list[dict[str, Any]],
        server: WebhookServer,
    ) -> None:
        """Without working AWS access the alert still goes out, without an alias."""

        def broken(_service: str, _region: str | None = None) -> Any:
            raise RuntimeError("no credentials")

        pipeline = make_pipeline(ONE_HOOK + "accounts: {lookup: [organizations]}\n", clients=broken)
        report = pipeline.run(alerts_for(envelopes[:1], "console-login-root"))
        assert report.ok
        assert server.requests[0].json()["event"]["accountAlias"] is None

"""`trailguard watch`: polling LookupEvents (a local CloudTrail server) and S3 (moto), with checkpoints.

moto does not implement LookupEvents; ``trailguard.testing_cloudtrail`` answers it over real
HTTP with paging and throttling, as AWS does.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from trailguard import testing_cloudtrail as lookup_server
from trailguard.alerting import MemoryState
from trailguard.alerting.runtime import Runtime, select_rules
from trailguard.config import parse_config
from trailguard.sources.lookup_api import LookupEventsSource, Pacer
from trailguard.store.deliveries import DeliveryStore
from trailguard.testing import WebhookServer
from trailguard.watch import S3Poller, Stopped, StopSignal, Watcher, lookup_pollers

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOW = datetime(2024, 8, 18, 14, 0, tzinfo=UTC)
CONFIG = """\
rules:
  exclude: [console-login, root-account-usage]
destinations:
  hook: {type: webhook, url: "{url}/hook", include_record: false}
routes:
  - to: [hook]
throttle: {enabled: false}
"""


def envelope_details() -> list[dict[str, Any]]:
    lines = (FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl").read_text().splitlines()
    return [json.loads(line)["detail"] for line in lines]


def event(
    kind: str, minutes_ago: float, event_id: str, region: str = "us-east-1"
) -> dict[str, Any]:
    """A root console sign-in or a StopLogging, ``minutes_ago`` before NOW."""
    details = envelope_details()
    base = details[0] if kind == "root-login" else details[7]
    stamp = (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {**base, "eventID": event_id, "eventTime": stamp, "awsRegion": region}


class FakeClock:
    """Monotonic time that moves only when the code sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDWATCHTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def cloudtrail(aws_env: None) -> Iterator[Any]:  # noqa: ARG001 - a fixture used for its side effect
    """A LookupEvents server holding a mutable list of records.

    The pacer runs on a fake clock here, so the server's own limit is raised above AWS's 2/s;
    throttling is forced with ``force_throttles``.
    """
    server = lookup_server.LookupServer([], rate=100)
    with lookup_server.serving(server) as running:
        yield running


def make_runtime(hook: WebhookServer, db: Path) -> Runtime:
    config, problems = parse_config(CONFIG.replace("{url}", hook.url), "watch.yaml")
    assert problems == []
    return Runtime(
        config,
        rules=select_rules(config.rules),
        state=DeliveryStore(db),
        clock=lambda: NOW,
    )


def make_source(
    url: str, regions: list[str], clock: FakeClock, **options: Any
) -> LookupEventsSource:
    config = Config(retries={"total_max_attempts": 1})

    def client(region: str) -> Any:
        return boto3.client("cloudtrail", region_name=region, endpoint_url=url, config=config)

    pacer = Pacer(clock=clock, sleep=clock.sleep)
    return LookupEventsSource(
        client, regions, account="123456789012", pacer=pacer, sleep=clock.sleep, **options
    )


def delivered_ids(hook: WebhookServer) -> list[str]:
    """The eventIDs alerted, in order, once per event (a StopLogging raises two rules' alerts)."""
    return list(dict.fromkeys(r.json()["event"]["eventID"] for r in hook.requests))


def deliveries(hook: WebhookServer) -> list[tuple[str, str]]:
    return [(r.json()["event"]["eventID"], r.json()["rule"]["id"]) for r in hook.requests]


class TestLookupEvents:
    def test_polls_deliver_each_event_once_across_restarts(
        self, cloudtrail: Any, hook: WebhookServer, tmp_path: Path
    ) -> None:
        """New events are alerted once; a restarted watcher resumes from its checkpoint."""
        cloudtrail.records.extend([event("root-login", 30, "old"), event("root-login", 10, "e1")])
        clock = FakeClock()
        runtime = make_runtime(hook, tmp_path / "t.db")
        source = make_source(cloudtrail.url, ["us-east-1"], clock)
        pollers = lookup_pollers(
            source, runtime.state, clock=runtime.clock, lookback=900, overlap=600
        )
        watcher = Watcher(runtime, pollers, interval=0)
        [cycle] = watcher.run_once()
        assert (cycle.poller, cycle.records, cycle.alerts) == ("LookupEvents us-east-1", 1, 1)
        assert delivered_ids(hook) == ["e1"]  # "old" is before the 15-minute lookback
        cloudtrail.records.append(event("stop-logging", 5, "e2"))
        watcher.run_once()
        assert deliveries(hook) == [
            ("e1", "console-login-root"),
            ("e2", "cloudtrail-config-change"),
            ("e2", "cloudtrail-logging-stopped"),
        ]
        runtime.state.close()  # type: ignore[attr-defined]

        restarted = make_runtime(hook, tmp_path / "t.db")
        pollers = lookup_pollers(
            make_source(cloudtrail.url, ["us-east-1"], clock),
            restarted.state,
            clock=restarted.clock,
            lookback=900,
            overlap=600,
        )
        cloudtrail.records.append(
            event("root-login", 8, "late")
        )  # late: older than e2, within the overlap
        [cycle] = Watcher(restarted, pollers, interval=0).run_once()
        assert cycle.records == 1
        assert delivered_ids(hook) == ["e1", "e2", "late"]
        assert len(hook.requests) == 4
        restarted.state.close()  # type: ignore[attr-defined]

    def test_only_write_events_are_asked_for_by_default(
        self, cloudtrail: Any, hook: WebhookServer, tmp_path: Path
    ) -> None:
        """The poll uses LookupAttributes ReadOnly=false and the lookback as StartTime."""
        clock = FakeClock()
        runtime = make_runtime(hook, tmp_path / "t.db")
        [poller] = lookup_pollers(
            make_source(cloudtrail.url, ["eu-west-1"], clock),
            runtime.state,
            clock=runtime.clock,
            lookback=900,
            overlap=600,
        )
        poller.poll(lambda: False)
        body = cloudtrail.calls[0].body
        assert body["LookupAttributes"] == [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
        assert body["StartTime"] == (NOW - timedelta(minutes=15)).timestamp()

    def test_paging_is_paced_per_region(
        self, cloudtrail: Any, hook: WebhookServer, tmp_path: Path
    ) -> None:
        """120 events at 50 a page are 3 calls per region, spaced 0.5 s apart (2 per second)."""
        for region in ("us-east-1", "eu-west-1"):
            cloudtrail.records.extend(
                event("root-login", 1 + i / 10, f"{region}-{i}", region) for i in range(120)
            )
        clock = FakeClock()
        runtime = make_runtime(hook, tmp_path / "t.db")
        source = make_source(cloudtrail.url, ["us-east-1", "eu-west-1"], clock)
        pollers = lookup_pollers(
            source, runtime.state, clock=runtime.clock, lookback=900, overlap=600
        )
        cycles = Watcher(runtime, pollers, interval=0).run_once()
        assert [c.records for c in cycles] == [120, 120]
        assert [c.region for c in cloudtrail.calls] == ["us-east-1"] * 3 + ["eu-west-1"] * 3
        assert clock.sleeps == [
            0.5,
            0.5,
            0.5,
            0.5,
        ]  # within each region; a new region has its own budget
        assert not any(c.throttled for c in cloudtrail.calls)

    def test_throttling_is_backed_off(
        self, cloudtrail: Any, hook: WebhookServer, tmp_path: Path
    ) -> None:
        """ThrottlingException answers are retried after a backoff; the poll completes."""
        cloudtrail.records.append(event("stop-logging", 2, "t1"))
        cloudtrail.force_throttles = 2
        clock = FakeClock()
        runtime = make_runtime(hook, tmp_path / "t.db")
        pollers = lookup_pollers(
            make_source(cloudtrail.url, ["us-east-1"], clock),
            runtime.state,
            clock=runtime.clock,
            lookback=900,
            overlap=600,
        )
        [cycle] = Watcher(runtime, pollers, interval=0).run_once()
        assert cycle.records == 1
        assert sum(c.throttled for c in cloudtrail.calls) == 2
        assert len(clock.sleeps) >= 2

    def test_a_stop_inside_a_poll_keeps_the_old_checkpoint(
        self, cloudtrail: Any, hook: WebhookServer, tmp_path: Path
    ) -> None:
        """Stopping mid-poll raises Stopped and saves nothing, so the events are read again later."""
        cloudtrail.records.append(event("stop-logging", 2, "s1"))
        clock = FakeClock()
        runtime = make_runtime(hook, tmp_path / "t.db")
        [poller] = lookup_pollers(
            make_source(cloudtrail.url, ["us-east-1"], clock),
            runtime.state,
            clock=runtime.clock,
            lookback=900,
            overlap=600,
        )
        with pytest.raises(Stopped):
            poller.poll(lambda: True)
        poller.commit()
        assert runtime.state.checkpoint("watch:lookup:123456789012:us-east-1") is None
        assert len(poller.poll(lambda: False)) == 1

    def test_a_failing_region_is_reported_and_the_others_go_on(
        self, cloudtrail: Any, hook: WebhookServer, tmp_path: Path
    ) -> None:
        """A region whose calls keep failing is reported; the other region's events are delivered."""
        cloudtrail.records.append(event("root-login", 2, "ok", "eu-west-1"))
        clock = FakeClock()
        runtime = make_runtime(hook, tmp_path / "t.db")
        source = make_source(cloudtrail.url, ["us-east-1", "eu-west-1"], clock)
        source.backoff = type(source.backoff)(retries=1)
        cloudtrail.force_throttles = 2
        errors: list[Any] = []
        pollers = lookup_pollers(
            source, runtime.state, clock=runtime.clock, lookback=900, overlap=600
        )
        Watcher(runtime, pollers, interval=0, on_error=errors.append).run_once()
        assert len(errors) == 1
        assert "LookupEvents in us-east-1" in str(errors[0])
        assert delivered_ids(hook) == ["ok"]


TRAIL_BUCKET = "watch-trail"


def trail_key(minutes_ago: int, suffix: str) -> str:
    moment = NOW - timedelta(minutes=minutes_ago)
    return (
        f"AWSLogs/111122223333/CloudTrail/us-east-1/{moment:%Y/%m/%d}/"
        f"111122223333_CloudTrail_us-east-1_{moment:%Y%m%dT%H%M}Z_{suffix}.json.gz"
    )


def put_trail_file(s3: Any, key: str, records: list[dict[str, Any]]) -> None:
    s3.put_object(
        Bucket=TRAIL_BUCKET, Key=key, Body=gzip.compress(json.dumps({"Records": records}).encode())
    )


class TestS3:
    @pytest.mark.usefixtures("aws")
    def test_new_files_are_read_once(self, hook: WebhookServer, tmp_path: Path) -> None:
        """Files under the prefix are read once; a later file is picked up on the next poll."""
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=TRAIL_BUCKET)
        put_trail_file(s3, trail_key(60, "AAAAAAAAAAAAAAAA"), [event("root-login", 61, "too-old")])
        put_trail_file(s3, trail_key(5, "BBBBBBBBBBBBBBBB"), [event("root-login", 6, "f1")])
        runtime = make_runtime(hook, tmp_path / "t.db")
        poller = S3Poller(
            s3,
            f"s3://{TRAIL_BUCKET}/AWSLogs/",
            runtime.state,
            clock=runtime.clock,
            lookback=900,
            overlap=900,
        )
        watcher = Watcher(runtime, [poller], interval=0)
        watcher.run_once()
        assert delivered_ids(hook) == ["f1"]
        watcher.run_once()
        assert delivered_ids(hook) == ["f1"]
        put_trail_file(
            s3,
            trail_key(2, "CCCCCCCCCCCCCCCC"),
            [event("stop-logging", 3, "f2"), event("root-login", 4, "f3")],
        )
        [cycle] = watcher.run_once()
        assert cycle.records == 2
        assert delivered_ids(hook) == ["f1", "f3", "f2"]  # in event time order
        assert len(hook.requests) == 4
        checkpoint = json.loads(
            runtime.state.checkpoint(f"watch:s3:s3://{TRAIL_BUCKET}/AWSLogs/") or "{}"
        )
        assert checkpoint["until"] == "2024-08-18T13:58:00Z"

    @pytest.mark.usefixtures("aws")
    def test_a_corrupt_file_is_skipped_and_reported(
        self,
        hook: WebhookServer,
        tmp_path: Path,
    ) -> None:
        """A file that is not gzip JSON is reported; the next files are still read."""
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=TRAIL_BUCKET)
        s3.put_object(
            Bucket=TRAIL_BUCKET, Key=trail_key(4, "DDDDDDDDDDDDDDDD"), Body=b"\x1f\x8bnope"
        )
        put_trail_file(s3, trail_key(3, "EEEEEEEEEEEEEEEE"), [event("root-login", 3, "g1")])
        errors: list[Any] = []
        runtime = make_runtime(hook, tmp_path / "t.db")
        poller = S3Poller(
            s3,
            f"s3://{TRAIL_BUCKET}/AWSLogs/",
            runtime.state,
            clock=runtime.clock,
            on_error=errors.append,
        )
        Watcher(runtime, [poller], interval=0).run_once()
        assert delivered_ids(hook) == ["g1"]
        assert "corrupt gzip" in str(errors[0])


class TestStopping:
    def test_stop_signal_between_polls(self) -> None:
        """A stop set while waiting ends the loop after the current cycle."""
        stop = StopSignal()
        polls: list[int] = []

        class Counting:
            name = "counting"

            def poll(self, _stopped: Callable[[], bool]) -> list[Any]:
                polls.append(1)
                stop.set("test")
                return []

            def commit(self) -> None:
                return None

        config, _ = parse_config("", "empty.yaml")
        runtime = Runtime(config, rules=select_rules(config.rules), state=MemoryState())
        cycles = Watcher(runtime, [Counting()], interval=3600, stop=stop).run()
        assert (cycles, len(polls), stop.reason) == (1, 1, "test")

    @pytest.mark.usefixtures("aws")
    @pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
    def test_the_command_stops_cleanly_on_a_signal(
        self,
        hook: WebhookServer,
        tmp_path: Path,
        sig: signal.Signals,
    ) -> None:
        """`trailguard watch --s3` delivers, then exits 0 on SIGTERM/SIGINT with its checkpoint saved."""
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=TRAIL_BUCKET)
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        key = f"AWSLogs/111122223333/CloudTrail/us-east-1/{now:%Y/%m/%d}/111122223333_CloudTrail_us-east-1_{now:%Y%m%dT%H%M}Z_FFFFFFFFFFFFFFFF.json.gz"
        put_trail_file(s3, key, [{**event("root-login", 0, "live"), "eventTime": stamp}])
        config = tmp_path / "trailguard.yaml"
        config.write_text(CONFIG.replace("{url}", hook.url))
        db = tmp_path / "t.db"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "trailguard",
                "watch",
                "--s3",
                f"s3://{TRAIL_BUCKET}/AWSLogs/",
                "--interval",
                "1s",
                "--config",
                str(config),
                "--db",
                str(db),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        deadline = time.monotonic() + 30
        while not hook.requests and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(sig)
        _, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert delivered_ids(hook) == ["live"]
        assert f"stopped ({sig.name}); checkpoints saved" in err
        with DeliveryStore(db) as store:
            assert store.checkpoint(f"watch:s3:s3://{TRAIL_BUCKET}/AWSLogs/") is not None

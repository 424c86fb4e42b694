"""The three NotifyState implementations keep the same promises (memory, SQLite, DynamoDB)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from trailguard.alerting import (
    Attempt,
    DeliveryKey,
    MemoryState,
    NotifyState,
    ThrottleWindow,
)
from trailguard.store import AlertStore
from trailguard.store.deliveries import DeliveryStore
from trailguard.store.dynamodb import DynamoDBState

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
KEY = DeliveryKey("console-login-root", "ev-1", "slack")


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NotifyState]:
    if request.param == "memory":
        yield MemoryState()
    elif request.param == "sqlite":
        with DeliveryStore(tmp_path / "trailguard.db") as store:
            yield store
    else:
        request.getfixturevalue("aws")
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="trailguard",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield DynamoDBState("trailguard", client)


class TestDeliveries:
    def test_claim_once_then_delivered(self, state: NotifyState) -> None:
        """A delivery is claimed once; after it is delivered no one may claim it again."""
        assert state.claim(KEY, {"alert": {"eventID": "ev-1"}}, NOW, 60) is None
        assert state.claim(KEY, {}, NOW, 60) == "busy"
        state.record_attempt(KEY, Attempt(1, NOW.isoformat(), "delivered", "ok"))
        state.finish(KEY, delivered=True, detail="", reference="ts-1", now=NOW)
        assert state.claim(KEY, {}, NOW + timedelta(days=1), 60) == "delivered"
        record = state.delivery(KEY)
        assert record is not None
        assert (record.status, record.attempts, record.reference) == ("delivered", 1, "ts-1")
        assert record.payload == {"alert": {"eventID": "ev-1"}}
        assert state.undelivered() == []

    def test_failed_deliveries_are_listed_and_may_be_claimed_again(
        self, state: NotifyState
    ) -> None:
        """A failure is kept with its detail, listed as undelivered, and can be retried."""
        state.claim(KEY, {"x": 1}, NOW, 60)
        state.record_attempt(KEY, Attempt(1, NOW.isoformat(), "retry", "HTTP 500", 500))
        state.record_attempt(
            KEY, Attempt(2, (NOW + timedelta(seconds=1)).isoformat(), "failed", "HTTP 500", 500)
        )
        state.finish(KEY, delivered=False, detail="HTTP 500", reference=None, now=NOW)
        [record] = state.undelivered()
        assert (record.key, record.status, record.detail, record.attempts) == (
            KEY,
            "failed",
            "HTTP 500",
            2,
        )
        assert [a.outcome for a in state.attempts(KEY)] == ["retry", "failed"]
        assert state.attempts(KEY)[0].status == 500
        assert state.claim(KEY, {"x": 1}, NOW, 60) is None

    def test_an_expired_lease_can_be_taken_over(self, state: NotifyState) -> None:
        """A pending delivery whose sender died is claimable once its lease runs out."""
        state.claim(KEY, {}, NOW, 60)
        assert state.claim(KEY, {}, NOW + timedelta(seconds=30), 60) == "busy"
        assert state.claim(KEY, {}, NOW + timedelta(seconds=61), 60) is None


class TestWindows:
    def window(self, first: str = "ev-1") -> ThrottleWindow:
        return ThrottleWindow(
            key="rule|arn|Event",
            rule_id="rule",
            first_event_id=first,
            start="2024-03-01T12:00:00Z",
            end="2024-03-01T12:15:00Z",
            last_time="2024-03-01T12:00:00Z",
            payload={"alert": {"eventID": first}, "targets": ["slack"]},
        )

    def test_open_repeat_close(self, state: NotifyState) -> None:
        """One window per key; repeats are counted once per eventID; closing forgets it."""
        assert state.open_window(self.window(), None)
        assert not state.open_window(self.window("ev-9"), None)
        assert state.add_repeat("rule|arn|Event", "ev-1", "ev-2", "2024-03-01T12:01:00Z")
        assert state.add_repeat("rule|arn|Event", "ev-1", "ev-2", "2024-03-01T12:01:00Z")
        assert state.add_repeat("rule|arn|Event", "ev-1", "ev-3", "2024-03-01T12:05:00Z")
        assert not state.add_repeat("rule|arn|Event", "ev-other", "ev-4", "2024-03-01T12:05:00Z")
        window = state.window("rule|arn|Event")
        assert window is not None
        assert sorted(window.repeats) == ["ev-2", "ev-3"]
        assert window.last_time == "2024-03-01T12:05:00Z"
        assert window.payload["targets"] == ["slack"]
        assert [w.key for w in state.windows()] == ["rule|arn|Event"]
        state.close_window("rule|arn|Event", "ev-1")
        assert state.window("rule|arn|Event") is None

    def test_replace_only_the_window_seen(self, state: NotifyState) -> None:
        """A new window replaces the old one only if it is still the one the caller saw."""
        state.open_window(self.window(), None)
        assert not state.open_window(self.window("ev-5"), "ev-stale")
        assert state.open_window(self.window("ev-5"), "ev-1")
        window = state.window("rule|arn|Event")
        assert window is not None
        assert window.first_event_id == "ev-5"


class TestCheckpointsAndCache:
    def test_checkpoints(self, state: NotifyState) -> None:
        """A checkpoint reads back what was saved last."""
        assert state.checkpoint("lookup:123:us-east-1") is None
        state.save_checkpoint("lookup:123:us-east-1", "2024-03-01T12:00:00Z")
        state.save_checkpoint("lookup:123:us-east-1", "2024-03-01T12:05:00Z")
        assert state.checkpoint("lookup:123:us-east-1") == "2024-03-01T12:05:00Z"

    def test_cache_expires(self, state: NotifyState) -> None:
        """A cached value is gone once it expires."""
        state.cache("alias:111122223333", "prod", NOW + timedelta(hours=1))
        assert state.cached("alias:111122223333", NOW) == "prod"
        assert state.cached("alias:111122223333", NOW + timedelta(hours=2)) is None


class TestSqliteFile:
    def test_shares_the_alert_store_file_without_touching_its_table(self, tmp_path: Path) -> None:
        """Both stores open the same database; the alerts table keeps its schema."""
        path = tmp_path / "trailguard.db"
        with AlertStore(path):
            pass
        before = _schema(path, "alerts")
        with DeliveryStore(path) as store:
            store.claim(KEY, {}, NOW, 60)
        with AlertStore(path):
            pass
        assert _schema(path, "alerts") == before
        tables = {
            row[0]
            for row in sqlite3.connect(path).execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
            )
        }
        assert {
            "alerts",
            "deliveries",
            "delivery_attempts",
            "throttle_windows",
            "checkpoints",
            "cache",
        } <= tables

    def test_two_connections_never_both_claim(self, tmp_path: Path) -> None:
        """Overlapping processes (two connections) agree on who sends."""
        path = tmp_path / "trailguard.db"
        with DeliveryStore(path) as first, DeliveryStore(path) as second:
            assert first.claim(KEY, {}, NOW, 60) is None
            assert second.claim(KEY, {}, NOW, 60) == "busy"

    def test_undelivered_filters(self, tmp_path: Path) -> None:
        """Undelivered records can be narrowed to rules and destinations."""
        with DeliveryStore(tmp_path / "t.db") as store:
            for key in (KEY, DeliveryKey("other", "ev-2", "bot:#oncall")):
                store.claim(key, {}, NOW, 60)
                store.finish(key, delivered=False, detail="x", reference=None, now=NOW)
            assert [r.key for r in store.undelivered(rules=["other"])] == [
                DeliveryKey("other", "ev-2", "bot:#oncall")
            ]
            assert [r.key for r in store.undelivered(destinations=["bot"])] == [
                DeliveryKey("other", "ev-2", "bot:#oncall")
            ]


def _schema(path: Path, table: str) -> str:
    row = (
        sqlite3.connect(path)
        .execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,))
        .fetchone()
    )
    return str(row[0])

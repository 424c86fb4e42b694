"""Delivery records, attempts, throttle windows, checkpoints and a cache, in SQLite.

The tables live in the same database file as the alert store (``trailguard alerts``) and leave
its ``alerts`` table alone. Read-modify-write operations run in ``BEGIN IMMEDIATE``
transactions, so overlapping runs (``watch`` and ``scan --notify``) never both claim a delivery.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from trailguard.alerting.state import (
    DELIVERED,
    FAILED,
    PENDING,
    Attempt,
    DeliveryKey,
    DeliveryRecord,
    ThrottleWindow,
    claim_decision,
    stamp,
)
from trailguard.store._database import SqliteDatabase

SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    rule_id     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    target      TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT '',
    reference   TEXT,
    updated_at  TEXT NOT NULL,
    lease_until TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL,
    PRIMARY KEY (rule_id, event_id, target)
);
CREATE INDEX IF NOT EXISTS deliveries_by_status ON deliveries (status);
CREATE TABLE IF NOT EXISTS delivery_attempts (
    rule_id   TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    target    TEXT NOT NULL,
    number    INTEGER NOT NULL,
    at        TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    status    INTEGER
);
CREATE INDEX IF NOT EXISTS attempts_by_delivery ON delivery_attempts (rule_id, event_id, target);
CREATE TABLE IF NOT EXISTS throttle_windows (
    key            TEXT PRIMARY KEY,
    rule_id        TEXT NOT NULL,
    first_event_id TEXT NOT NULL,
    start          TEXT NOT NULL,
    end            TEXT NOT NULL,
    repeats        TEXT NOT NULL,
    last_time      TEXT NOT NULL,
    payload        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache (
    name    TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    expires TEXT NOT NULL
);
"""


def _key(key: DeliveryKey) -> tuple[str, str, str]:
    return (key.rule_id, key.event_id, key.target)


class DeliveryStore(SqliteDatabase):
    """NotifyState in the SQLite file of the alert store."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, SCHEMA, what="delivery store", autocommit=True)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def claim(
        self, key: DeliveryKey, payload: Mapping[str, Any], now: datetime, lease: float
    ) -> str | None:
        """Take a delivery for sending (see ``NotifyState.claim``)."""
        with self._transaction() as db:
            record = self.delivery(key)
            decision = claim_decision(record, stamp(now))
            if decision is None:
                db.execute(
                    "INSERT INTO deliveries (rule_id, event_id, target, status, updated_at, "
                    "lease_until, payload) VALUES (?,?,?,?,?,?,?) "
                    "ON CONFLICT (rule_id, event_id, target) DO UPDATE SET "
                    "status = excluded.status, "
                    "updated_at = excluded.updated_at, lease_until = excluded.lease_until, "
                    "payload = excluded.payload",
                    (
                        *_key(key),
                        PENDING,
                        stamp(now),
                        stamp(now + timedelta(seconds=lease)),
                        orjson.dumps(payload).decode(),
                    ),
                )
            return decision

    def record_attempt(self, key: DeliveryKey, attempt: Attempt) -> None:
        """Keep one attempt's outcome."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO delivery_attempts VALUES (?,?,?,?,?,?,?,?)",
                (
                    *_key(key),
                    attempt.number,
                    attempt.at,
                    attempt.outcome,
                    attempt.detail,
                    attempt.status,
                ),
            )
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1 "
                "WHERE rule_id = ? AND event_id = ? AND target = ?",
                _key(key),
            )

    def finish(
        self,
        key: DeliveryKey,
        *,
        delivered: bool,
        detail: str,
        reference: str | None,
        now: datetime,
    ) -> None:
        """Mark a claimed delivery delivered or failed."""
        with self._transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = ?, detail = ?, reference = ?, updated_at = ?, "
                "lease_until = '' WHERE rule_id = ? AND event_id = ? AND target = ?",
                (DELIVERED if delivered else FAILED, detail, reference, stamp(now), *_key(key)),
            )

    def delivery(self, key: DeliveryKey) -> DeliveryRecord | None:
        """One delivery's record."""
        row = self._db.execute(
            "SELECT * FROM deliveries WHERE rule_id = ? AND event_id = ? AND target = ?", _key(key)
        ).fetchone()
        return _record(row) if row else None

    def attempts(self, key: DeliveryKey) -> list[Attempt]:
        """Every attempt of one delivery, in order."""
        rows = self._db.execute(
            "SELECT number, at, outcome, detail, status FROM delivery_attempts "
            "WHERE rule_id = ? AND event_id = ? AND target = ? "
            "ORDER BY rowid",
            _key(key),
        )
        return [Attempt(*row) for row in rows]

    def undelivered(
        self, *, rules: Iterable[str] = (), destinations: Iterable[str] = ()
    ) -> list[DeliveryRecord]:
        """Failed and pending deliveries, oldest first, optionally of some rules / destinations."""
        rows = self._db.execute(
            "SELECT * FROM deliveries WHERE status != ? ORDER BY updated_at, rule_id, event_id",
            (DELIVERED,),
        )
        wanted_rules, wanted_destinations = set(rules), set(destinations)
        found = [_record(row) for row in rows]
        return [
            record
            for record in found
            if (not wanted_rules or record.key.rule_id in wanted_rules)
            and (
                not wanted_destinations
                or record.key.target.partition(":")[0] in wanted_destinations
            )
        ]

    def window(self, key: str) -> ThrottleWindow | None:
        """The open throttle window of a key."""
        row = self._db.execute("SELECT * FROM throttle_windows WHERE key = ?", (key,)).fetchone()
        return _window(row) if row else None

    def open_window(self, window: ThrottleWindow, replacing: str | None) -> bool:
        """Open a window unless another one got there first."""
        with self._transaction() as db:
            current = self.window(window.key)
            if (current.first_event_id if current else None) != replacing:
                return False
            db.execute(
                "INSERT OR REPLACE INTO throttle_windows VALUES (?,?,?,?,?,?,?,?)",
                (
                    window.key,
                    window.rule_id,
                    window.first_event_id,
                    window.start,
                    window.end,
                    orjson.dumps(list(window.repeats)).decode(),
                    window.last_time,
                    orjson.dumps(window.payload).decode(),
                ),
            )
            return True

    def add_repeat(self, key: str, first_event_id: str, event_id: str, event_time: str) -> bool:
        """Count a held-back repeat (once per eventID)."""
        with self._transaction() as db:
            current = self.window(key)
            if current is None or current.first_event_id != first_event_id:
                return False
            if event_id not in current.repeats:
                db.execute(
                    "UPDATE throttle_windows SET repeats = ?, last_time = ? WHERE key = ?",
                    (
                        orjson.dumps([*current.repeats, event_id]).decode(),
                        max(current.last_time, event_time),
                        key,
                    ),
                )
            return True

    def close_window(self, key: str, first_event_id: str) -> None:
        """Forget the window if it is still the one starting with ``first_event_id``."""
        with self._transaction() as db:
            db.execute(
                "DELETE FROM throttle_windows WHERE key = ? AND first_event_id = ?",
                (key, first_event_id),
            )

    def windows(self) -> list[ThrottleWindow]:
        """Every open window."""
        return [_window(row) for row in self._db.execute("SELECT * FROM throttle_windows")]

    def checkpoint(self, name: str) -> str | None:
        """A saved checkpoint."""
        row = self._db.execute("SELECT value FROM checkpoints WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def save_checkpoint(self, name: str, value: str, now: datetime | None = None) -> None:
        """Save a checkpoint."""
        moment = stamp(now) if now else ""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO checkpoints VALUES (?,?,?)", (name, value, moment))

    def cached(self, name: str, now: datetime) -> str | None:
        """A cached value that has not expired."""
        row = self._db.execute(
            "SELECT value FROM cache WHERE name = ? AND expires > ?", (name, stamp(now))
        ).fetchone()
        return str(row[0]) if row else None

    def cache(self, name: str, value: str, expires: datetime) -> None:
        """Cache a value until ``expires``."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO cache VALUES (?,?,?)", (name, value, stamp(expires)))


def _record(row: tuple[Any, ...]) -> DeliveryRecord:
    return DeliveryRecord(
        key=DeliveryKey(row[0], row[1], row[2]),
        status=row[3],
        attempts=row[4],
        detail=row[5],
        reference=row[6],
        updated_at=row[7],
        lease_until=row[8],
        payload=orjson.loads(row[9]),
    )


def _window(row: tuple[Any, ...]) -> ThrottleWindow:
    return ThrottleWindow(
        key=row[0],
        rule_id=row[1],
        first_event_id=row[2],
        start=row[3],
        end=row[4],
        repeats=tuple(orjson.loads(row[5])),
        last_time=row[6],
        payload=orjson.loads(row[7]),
    )

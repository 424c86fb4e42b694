"""What the alerting pipeline remembers between runs, and an in-memory implementation.

``NotifyState`` is kept by SQLite (``trailguard.store.deliveries``) for the CLI, by DynamoDB
(``trailguard.store.dynamodb``) for Lambda, and in memory (``MemoryState``) otherwise:

* deliveries, one per (rule, eventID, target): claimed before sending, so the same alert is
  never delivered twice, even by retried or concurrent Lambda invocations;
* every delivery attempt and its outcome;
* throttle windows: the first alert of a key and the repeats held back for its digest;
* checkpoints (``watch``) and a small cache (account aliases).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def stamp(moment: datetime) -> str:
    """A time as stored: ISO 8601 with microseconds, so stamps sort as text."""
    return moment.isoformat(timespec="microseconds")


@dataclass(frozen=True)
class DeliveryKey:
    """One delivery: a rule's alert for one event, to one target."""

    rule_id: str
    event_id: str
    target: str

    def __str__(self) -> str:
        return f"{self.rule_id} / {self.event_id} -> {self.target}"


@dataclass(frozen=True)
class Attempt:
    """One try: its number, when, the outcome (delivered, retry, failed) and what was said."""

    number: int
    at: str
    outcome: str
    detail: str = ""
    status: int | None = None


@dataclass(frozen=True)
class DeliveryRecord:
    """The state of one delivery and what is needed to try it again."""

    key: DeliveryKey
    status: str
    attempts: int = 0
    detail: str = ""
    reference: str | None = None
    updated_at: str = ""
    lease_until: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ThrottleWindow:
    """A throttle key's window: the alert sent at once and the repeats held for the digest."""

    key: str
    rule_id: str
    first_event_id: str
    start: str
    end: str
    repeats: tuple[str, ...] = ()
    last_time: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)


class NotifyState(Protocol):
    """Delivery records, throttle windows, checkpoints and a cache."""

    def claim(
        self, key: DeliveryKey, payload: Mapping[str, Any], now: datetime, lease: float
    ) -> str | None:
        """Take a delivery for sending: None if this caller may send, else why not.

        The answer is ``delivered`` (done before) or ``busy`` (another sender holds the lease).
        A failed delivery, or a pending one whose lease ran out, may be taken again.
        """

    def record_attempt(self, key: DeliveryKey, attempt: Attempt) -> None:
        """Keep one attempt's outcome."""

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

    def delivery(self, key: DeliveryKey) -> DeliveryRecord | None:
        """One delivery's record."""

    def attempts(self, key: DeliveryKey) -> list[Attempt]:
        """Every attempt of one delivery, in order."""

    def undelivered(self) -> list[DeliveryRecord]:
        """Deliveries that failed or are still pending."""

    def window(self, key: str) -> ThrottleWindow | None:
        """The open throttle window of a key."""

    def open_window(self, window: ThrottleWindow, replacing: str | None) -> bool:
        """Open a window; it must not exist (``replacing`` None) or start with ``replacing``."""

    def add_repeat(self, key: str, first_event_id: str, event_id: str, event_time: str) -> bool:
        """Count a held-back repeat in the window that starts with ``first_event_id``."""

    def close_window(self, key: str, first_event_id: str) -> None:
        """Forget the window (once its digest, if any, has been handed on)."""

    def windows(self) -> list[ThrottleWindow]:
        """Every open window."""

    def checkpoint(self, name: str) -> str | None:
        """A saved checkpoint."""

    def save_checkpoint(self, name: str, value: str) -> None:
        """Save a checkpoint."""

    def cached(self, name: str, now: datetime) -> str | None:
        """A cached value that has not expired."""

    def cache(self, name: str, value: str, expires: datetime) -> None:
        """Cache a value until ``expires``."""


def claim_decision(record: DeliveryRecord | None, now: str) -> str | None:
    """The shared rule of ``claim``: None to send, else ``delivered`` or ``busy``."""
    if record is None or record.status == FAILED:
        return None
    if record.status == DELIVERED:
        return DELIVERED
    return None if record.lease_until < now else "busy"


class MemoryState:
    """NotifyState in memory: for one process (Lambda without a table, tests, ``notify test``)."""

    def __init__(self) -> None:
        self._deliveries: dict[DeliveryKey, DeliveryRecord] = {}
        self._attempts: dict[DeliveryKey, list[Attempt]] = {}
        self._windows: dict[str, ThrottleWindow] = {}
        self._checkpoints: dict[str, str] = {}
        self._cache: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def claim(
        self, key: DeliveryKey, payload: Mapping[str, Any], now: datetime, lease: float
    ) -> str | None:
        """Take a delivery for sending (see ``NotifyState.claim``)."""
        with self._lock:
            record = self._deliveries.get(key)
            decision = claim_decision(record, stamp(now))
            if decision is None:
                self._deliveries[key] = DeliveryRecord(
                    key,
                    PENDING,
                    attempts=record.attempts if record else 0,
                    detail=record.detail if record else "",
                    updated_at=stamp(now),
                    lease_until=stamp(now + timedelta(seconds=lease)),
                    payload=payload,
                )
            return decision

    def record_attempt(self, key: DeliveryKey, attempt: Attempt) -> None:
        """Keep one attempt's outcome."""
        with self._lock:
            self._attempts.setdefault(key, []).append(attempt)
            record = self._deliveries.get(key)
            if record is not None:
                self._deliveries[key] = replace(record, attempts=record.attempts + 1)

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
        with self._lock:
            record = self._deliveries[key]
            self._deliveries[key] = replace(
                record,
                status=DELIVERED if delivered else FAILED,
                detail=detail,
                reference=reference,
                updated_at=stamp(now),
                lease_until="",
            )

    def delivery(self, key: DeliveryKey) -> DeliveryRecord | None:
        """One delivery's record."""
        return self._deliveries.get(key)

    def attempts(self, key: DeliveryKey) -> list[Attempt]:
        """Every attempt of one delivery, in order."""
        return list(self._attempts.get(key, []))

    def undelivered(self) -> list[DeliveryRecord]:
        """Deliveries that failed or are still pending."""
        return [r for r in self._deliveries.values() if r.status != DELIVERED]

    def window(self, key: str) -> ThrottleWindow | None:
        """The open throttle window of a key."""
        return self._windows.get(key)

    def open_window(self, window: ThrottleWindow, replacing: str | None) -> bool:
        """Open a window unless another one got there first."""
        with self._lock:
            current = self._windows.get(window.key)
            if (current.first_event_id if current else None) != replacing:
                return False
            self._windows[window.key] = window
            return True

    def add_repeat(self, key: str, first_event_id: str, event_id: str, event_time: str) -> bool:
        """Count a held-back repeat (once per eventID)."""
        with self._lock:
            current = self._windows.get(key)
            if current is None or current.first_event_id != first_event_id:
                return False
            if event_id not in current.repeats:
                self._windows[key] = replace(
                    current,
                    repeats=(*current.repeats, event_id),
                    last_time=max(current.last_time, event_time),
                )
            return True

    def close_window(self, key: str, first_event_id: str) -> None:
        """Forget the window if it is still the one starting with ``first_event_id``."""
        with self._lock:
            current = self._windows.get(key)
            if current is not None and current.first_event_id == first_event_id:
                del self._windows[key]

    def windows(self) -> list[ThrottleWindow]:
        """Every open window."""
        return list(self._windows.values())

    def checkpoint(self, name: str) -> str | None:
        """A saved checkpoint."""
        return self._checkpoints.get(name)

    def save_checkpoint(self, name: str, value: str) -> None:
        """Save a checkpoint."""
        self._checkpoints[name] = value

    def cached(self, name: str, now: datetime) -> str | None:
        """A cached value that has not expired."""
        found = self._cache.get(name)
        return found[0] if found and found[1] > now else None

    def cache(self, name: str, value: str, expires: datetime) -> None:
        """Cache a value until ``expires``."""
        self._cache[name] = (value, expires)

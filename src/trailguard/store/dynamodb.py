r"""NotifyState in one DynamoDB table, for the Lambda handler (``TRAILGUARD_TABLE``).

The table has a string partition key ``pk`` and a string sort key ``sk``; enable TTL on
``expires_at`` to let delivered records and attempts expire (after ``RETENTION``). Claims and
throttle windows use conditional writes, so concurrent invocations never both send an alert.

    aws dynamodb create-table --table-name trailguard \
      --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=S \
      --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
      --billing-mode PAY_PER_REQUEST
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
else:
    DynamoDBClient = Any

RETENTION = timedelta(days=30)
THROTTLE = "throttle"
CHECKPOINT = "checkpoint"
CACHE = "cache"
_NAMES = {
    "#s": "status",
    "#u": "updated_at",
    "#l": "lease_until",
    "#p": "payload",
    "#a": "attempts",
    "#d": "detail",
}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": str(int(value))}


def _delivery_pk(key: DeliveryKey) -> str:
    return f"delivery#{key.rule_id}#{key.event_id}"


def _attempt_pk(key: DeliveryKey) -> str:
    return f"attempt#{key.rule_id}#{key.event_id}#{key.target}"


def _conditional_failed(error: Exception) -> bool:
    response = getattr(error, "response", {})
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class DynamoDBState:
    """Delivery records, attempts, throttle windows, checkpoints and a cache in one table."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self._client = client

    def _key(self, pk: str, sk: str) -> dict[str, Any]:
        return {"pk": _s(pk), "sk": _s(sk)}

    def claim(
        self, key: DeliveryKey, payload: Mapping[str, Any], now: datetime, lease: float
    ) -> str | None:
        """Take a delivery for sending (see ``NotifyState.claim``), with a conditional write."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self._client.update_item(
                TableName=self.table,
                Key=self._key(_delivery_pk(key), key.target),
                UpdateExpression=(
                    "SET #s = :pending, #u = :now, #l = :lease, #p = :payload, "
                    "#a = if_not_exists(#a, :zero), #d = if_not_exists(#d, :e)"
                ),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR #s = :failed OR (#s = :pending AND #l < :now)"
                ),
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues={
                    ":pending": _s(PENDING),
                    ":failed": _s(FAILED),
                    ":now": _s(stamp(now)),
                    ":lease": _s(stamp(now + timedelta(seconds=lease))),
                    ":payload": _s(orjson.dumps(payload).decode()),
                    ":zero": _n(0),
                    ":e": _s(""),
                },
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            return claim_decision(self.delivery(key), stamp(now)) or "busy"
        return None

    def record_attempt(self, key: DeliveryKey, attempt: Attempt) -> None:
        """Keep one attempt's outcome and count it on the delivery."""
        item = {
            **self._key(_attempt_pk(key), f"{attempt.at}#{attempt.number:03d}"),
            "number": _n(attempt.number),
            "at": _s(attempt.at),
            "outcome": _s(attempt.outcome),
            "detail": _s(attempt.detail),
            "expires_at": _n((datetime.fromisoformat(attempt.at) + RETENTION).timestamp()),
        }
        if attempt.status is not None:
            item["status_code"] = _n(attempt.status)
        self._client.put_item(TableName=self.table, Item=item)
        self._client.update_item(
            TableName=self.table,
            Key=self._key(_delivery_pk(key), key.target),
            UpdateExpression="ADD #a :one",
            ExpressionAttributeNames={"#a": "attempts"},
            ExpressionAttributeValues={":one": _n(1)},
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
        """Mark a claimed delivery delivered (expiring after RETENTION) or failed (kept)."""
        names = {"#s": "status", "#d": "detail", "#r": "reference", "#u": "updated_at"}
        names |= {"#l": "lease_until", "#x": "expires_at"}
        values: dict[str, Any] = {
            ":s": _s(DELIVERED if delivered else FAILED),
            ":d": _s(detail),
            ":r": _s(reference or ""),
            ":now": _s(stamp(now)),
            ":empty": _s(""),
        }
        expression = "SET #s = :s, #d = :d, #r = :r, #u = :now, #l = :empty"
        if delivered:
            expression += ", #x = :x"
            values[":x"] = _n((now + RETENTION).timestamp())
        else:
            expression += " REMOVE #x"
        self._client.update_item(
            TableName=self.table,
            Key=self._key(_delivery_pk(key), key.target),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def delivery(self, key: DeliveryKey) -> DeliveryRecord | None:
        """One delivery's record."""
        item = self._client.get_item(
            TableName=self.table, Key=self._key(_delivery_pk(key), key.target), ConsistentRead=True
        ).get("Item")
        return _record(item) if item else None

    def attempts(self, key: DeliveryKey) -> list[Attempt]:
        """Every attempt of one delivery, in order."""
        found = [
            Attempt(
                number=int(item["number"]["N"]),
                at=item["at"]["S"],
                outcome=item["outcome"]["S"],
                detail=item["detail"]["S"],
                status=int(item["status_code"]["N"]) if "status_code" in item else None,
            )
            for item in self._query(_attempt_pk(key))
        ]
        return sorted(found, key=lambda a: (a.at, a.number))

    def undelivered(self) -> list[DeliveryRecord]:
        """Failed and pending deliveries (a table scan: for tooling, not the hot path)."""
        paginator = self._client.get_paginator("scan")
        found: list[DeliveryRecord] = []
        for page in paginator.paginate(
            TableName=self.table,
            FilterExpression="begins_with(pk, :d) AND #s <> :delivered",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":d": _s("delivery#"), ":delivered": _s(DELIVERED)},
        ):
            found.extend(_record(item) for item in page.get("Items", []))
        return sorted(found, key=lambda r: r.updated_at)

    def window(self, key: str) -> ThrottleWindow | None:
        """The open throttle window of a key."""
        item = self._client.get_item(
            TableName=self.table, Key=self._key(THROTTLE, key), ConsistentRead=True
        ).get("Item")
        return _window(item) if item else None

    def open_window(self, window: ThrottleWindow, replacing: str | None) -> bool:
        """Open a window unless another one got there first."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        item: dict[str, Any] = {
            **self._key(THROTTLE, window.key),
            "rule_id": _s(window.rule_id),
            "first_event_id": _s(window.first_event_id),
            "start": _s(window.start),
            "end": _s(window.end),
            "last_time": _s(window.last_time),
            "payload": _s(orjson.dumps(window.payload).decode()),
        }
        if window.repeats:
            item["repeats"] = {"SS": list(window.repeats)}
        condition: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if replacing is None
            else {
                "ConditionExpression": "#f = :r",
                "ExpressionAttributeNames": {"#f": "first_event_id"},
                "ExpressionAttributeValues": {":r": _s(replacing)},
            }
        )
        try:
            self._client.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def add_repeat(self, key: str, first_event_id: str, event_id: str, event_time: str) -> bool:
        """Count a held-back repeat; a string set keeps each eventID once."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self._client.update_item(
                TableName=self.table,
                Key=self._key(THROTTLE, key),
                UpdateExpression="ADD #rep :id",
                ConditionExpression="#f = :f",
                ExpressionAttributeNames={"#rep": "repeats", "#f": "first_event_id"},
                ExpressionAttributeValues={":id": {"SS": [event_id]}, ":f": _s(first_event_id)},
            )
            self._client.update_item(
                TableName=self.table,
                Key=self._key(THROTTLE, key),
                UpdateExpression="SET #t = :t",
                ConditionExpression="#f = :f AND #t < :t",
                ExpressionAttributeNames={"#t": "last_time", "#f": "first_event_id"},
                ExpressionAttributeValues={":t": _s(event_time), ":f": _s(first_event_id)},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
            current = self.window(key)
            return current is not None and current.first_event_id == first_event_id
        return True

    def close_window(self, key: str, first_event_id: str) -> None:
        """Forget the window if it is still the one starting with ``first_event_id``."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self._client.delete_item(
                TableName=self.table,
                Key=self._key(THROTTLE, key),
                ConditionExpression="#f = :f",
                ExpressionAttributeNames={"#f": "first_event_id"},
                ExpressionAttributeValues={":f": _s(first_event_id)},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise

    def windows(self) -> list[ThrottleWindow]:
        """Every open window."""
        return [_window(item) for item in self._query(THROTTLE)]

    def checkpoint(self, name: str) -> str | None:
        """A saved checkpoint."""
        item = self._client.get_item(
            TableName=self.table, Key=self._key(CHECKPOINT, name), ConsistentRead=True
        ).get("Item")
        return item["value"]["S"] if item else None

    def save_checkpoint(self, name: str, value: str) -> None:
        """Save a checkpoint."""
        self._client.put_item(
            TableName=self.table, Item={**self._key(CHECKPOINT, name), "value": _s(value)}
        )

    def cached(self, name: str, now: datetime) -> str | None:
        """A cached value that has not expired."""
        item = self._client.get_item(TableName=self.table, Key=self._key(CACHE, name)).get("Item")
        if not item or item["expires"]["S"] <= stamp(now):
            return None
        return item["value"]["S"]

    def cache(self, name: str, value: str, expires: datetime) -> None:
        """Cache a value until ``expires`` (DynamoDB TTL removes it later)."""
        self._client.put_item(
            TableName=self.table,
            Item={
                **self._key(CACHE, name),
                "value": _s(value),
                "expires": _s(stamp(expires)),
                "expires_at": _n(expires.timestamp()),
            },
        )

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(pk)},
            ConsistentRead=True,
        ):
            yield from page.get("Items", [])


def _record(item: Mapping[str, Any]) -> DeliveryRecord:
    rule_id, event_id = item["pk"]["S"].removeprefix("delivery#").split("#", 1)
    return DeliveryRecord(
        key=DeliveryKey(rule_id, event_id, item["sk"]["S"]),
        status=item["status"]["S"],
        attempts=int(item.get("attempts", {}).get("N", "0")),
        detail=item.get("detail", {}).get("S", ""),
        reference=item.get("reference", {}).get("S") or None,
        updated_at=item.get("updated_at", {}).get("S", ""),
        lease_until=item.get("lease_until", {}).get("S", ""),
        payload=orjson.loads(item["payload"]["S"]),
    )


def _window(item: Mapping[str, Any]) -> ThrottleWindow:
    return ThrottleWindow(
        key=item["sk"]["S"],
        rule_id=item["rule_id"]["S"],
        first_event_id=item["first_event_id"]["S"],
        start=item["start"]["S"],
        end=item["end"]["S"],
        repeats=tuple(sorted(item.get("repeats", {}).get("SS", []))),
        last_time=item.get("last_time", {}).get("S", ""),
        payload=orjson.loads(item["payload"]["S"]),
    )

"""Records from CloudWatch Logs subscription payloads (``{"awslogs": {"data": ...}}``).

The data is base64 of gzip of a JSON document whose ``logEvents[].message`` are the records as
CloudTrail wrote them to the log group. ``CONTROL_MESSAGE`` payloads are health checks; they carry
no records and are dropped.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from trailguard.errors import InputError

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"


def is_subscription_event(document: object) -> bool:
    """Whether ``document`` is the Lambda event of a subscription filter (``awslogs.data``)."""
    return isinstance(document, Mapping) and isinstance(document.get("awslogs"), Mapping)


def is_subscription_payload(document: object) -> bool:
    """Whether ``document`` is an already decoded payload (``messageType`` and ``logEvents``)."""
    return (
        isinstance(document, Mapping)
        and "messageType" in document
        and isinstance(document.get("logEvents"), list)
    )


def decode_subscription_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """Decode ``awslogs.data`` (base64, then gzip) into the payload document."""
    data = event.get("awslogs", {}).get("data")
    if not isinstance(data, str):
        raise InputError("awslogs.data is missing or not a string")
    try:
        compressed = base64.b64decode(data, validate=True)
        # wbits 32 + MAX_WBITS accepts both gzip and zlib headers.
        raw = zlib.decompress(compressed, zlib.MAX_WBITS | 32)
        payload = orjson.loads(raw)
    except (binascii.Error, zlib.error, orjson.JSONDecodeError) as error:
        raise InputError(f"awslogs.data is not base64 of gzipped JSON: {error}") from None
    if not isinstance(payload, dict):
        raise InputError("awslogs.data does not hold a JSON object")
    return payload


def log_messages(payload: Mapping[str, Any]) -> Iterator[str]:
    """The ``message`` of every log event of a data payload; nothing for a control message."""
    if payload.get("messageType") == CONTROL_MESSAGE:
        return
    for log_event in payload.get("logEvents", []):
        if isinstance(log_event, Mapping) and isinstance(log_event.get("message"), str):
            yield log_event["message"]


def records_from_payload(payload: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The CloudTrail records of a decoded subscription payload."""
    for index, message in enumerate(log_messages(payload)):
        try:
            record = orjson.loads(message)
        except orjson.JSONDecodeError:
            raise InputError(f"logEvents[{index}].message is not a CloudTrail record") from None
        if isinstance(record, dict):
            yield record

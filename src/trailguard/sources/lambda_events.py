"""CloudTrail records from any event a Lambda function receives.

``from_lambda_event`` unwraps, in any nesting:

* EventBridge CloudTrail events (``detail-type`` "... via CloudTrail"), passed on as envelopes;
* SQS batches (``Records[].body``) and SNS deliveries (``Records[].Sns.Message``), and the SNS
  notification JSON an SQS queue receives from a topic without raw delivery;
* CloudWatch Logs subscription payloads (``awslogs.data``);
* S3 ``ObjectCreated`` notifications (direct, via SNS or SQS), EventBridge "Object Created"
  events and CloudTrail's own SNS notification (``s3Bucket`` / ``s3ObjectKey``): the trail log
  files they name are read with the S3 client given;
* a trail log file document (``{"Records": [...]}``) or anything ``events_from_document`` reads.

S3 test events and EventBridge scheduled events hold no records. A corrupt log file is reported
to ``on_error`` and skipped; an S3 read that fails raises, so the invocation is retried.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote_plus

import orjson

from trailguard.errors import InputError, Location
from trailguard.events import is_envelope
from trailguard.sources.documents import events_from_document, is_record
from trailguard.sources.files import events_in_bytes, gunzip_if_needed
from trailguard.sources.s3 import KeyFilter, read_object

ErrorHandler = Callable[[InputError], None]
CLOUDTRAIL_DETAIL_SUFFIX = "via CloudTrail"
MAX_DEPTH = 6
_LOG_FILES = KeyFilter()


def from_lambda_event(
    event: Any, *, s3_client: Any = None, on_error: ErrorHandler | None = None
) -> Iterator[Mapping[str, Any]]:
    """Every CloudTrail record (or EventBridge envelope) the Lambda event carries."""
    yield from _decode(event, s3_client, on_error, depth=0)


def s3_objects(event: Any) -> list[tuple[str, str]]:
    """``(bucket, key)`` of every trail log file an event announces (without reading them)."""
    return [item for item in _walk(event, depth=0) if isinstance(item, tuple)]


def _decode(
    event: Any, s3_client: Any, on_error: ErrorHandler | None, depth: int
) -> Iterator[Mapping[str, Any]]:
    for item in _walk(event, depth):
        if isinstance(item, tuple):
            yield from _read_log_file(*item, s3_client, on_error)
        else:
            yield item


def _walk(document: Any, depth: int) -> Iterator[Mapping[str, Any] | tuple[str, str]]:
    """Records and envelopes, and ``(bucket, key)`` for each log file to read."""
    if depth > MAX_DEPTH:
        raise InputError("the event is wrapped too deeply to be a Lambda event")
    if isinstance(document, list):
        for item in document:
            yield from _walk(item, depth + 1)
        return
    if not isinstance(document, Mapping):
        raise InputError(f"expected a JSON object, got {type(document).__name__}")
    if is_envelope(document):
        yield from _event_bridge(document)
        return
    records = document.get("Records")
    if isinstance(records, list) and any(_is_transport(r) for r in records):
        for record in records:
            yield from _transport_record(record, depth)
        return
    if document.get("Type") == "Notification" and isinstance(document.get("Message"), str):
        yield from _walk(_json(document["Message"], "SNS Message"), depth + 1)
        return
    if "s3Bucket" in document and "s3ObjectKey" in document:
        yield from _cloudtrail_notification(document)
        return
    if document.get("Event") == "s3:TestEvent":
        return
    yield from events_from_document(document)


def _event_bridge(envelope: Mapping[str, Any]) -> Iterator[Mapping[str, Any] | tuple[str, str]]:
    kind = str(envelope.get("detail-type", ""))
    detail = envelope["detail"]
    if kind.endswith(CLOUDTRAIL_DETAIL_SUFFIX):
        yield envelope
    elif kind == "Object Created" and envelope.get("source") == "aws.s3":
        bucket = detail.get("bucket", {}).get("name")
        key = detail.get("object", {}).get("key")
        if isinstance(bucket, str) and isinstance(key, str):
            yield from _log_file(bucket, key)
    elif kind != "Scheduled Event":
        raise InputError(f"an EventBridge event that carries no CloudTrail record ({kind!r})")


def _is_transport(record: object) -> bool:
    """Whether a ``Records`` item is an SQS, SNS or S3 event record (not a CloudTrail record)."""
    if not isinstance(record, Mapping):
        return False
    source = record.get("eventSource") or record.get("EventSource")
    return isinstance(source, str) and source.startswith("aws:")


def _transport_record(record: Any, depth: int) -> Iterator[Mapping[str, Any] | tuple[str, str]]:
    if not isinstance(record, Mapping):
        raise InputError("Records[] holds something that is not an object")
    source = record.get("eventSource") or record.get("EventSource")
    if source == "aws:sqs":
        yield from _walk(_json(record.get("body"), "SQS message body"), depth + 1)
    elif source == "aws:sns":
        sns = record.get("Sns")
        message = sns.get("Message") if isinstance(sns, Mapping) else None
        yield from _walk(_json(message, "SNS Message"), depth + 1)
    elif source == "aws:s3":
        if str(record.get("eventName", "")).startswith("ObjectCreated:"):
            s3 = record.get("s3", {})
            bucket = s3.get("bucket", {}).get("name")
            key = s3.get("object", {}).get("key")
            if isinstance(bucket, str) and isinstance(key, str):
                # Keys in S3 notifications are URL-encoded (a space arrives as "+").
                yield from _log_file(bucket, unquote_plus(key))
    elif is_record(record):
        yield record
    else:
        raise InputError(
            f"an event record from {source or 'an unknown source'} trailguard cannot read"
        )


def _cloudtrail_notification(
    document: Mapping[str, Any],
) -> Iterator[Mapping[str, Any] | tuple[str, str]]:
    bucket = document["s3Bucket"]
    keys = document["s3ObjectKey"]
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(bucket, str) and isinstance(key, str):
            yield from _log_file(bucket, key)


def _log_file(bucket: str, key: str) -> Iterator[tuple[str, str]]:
    """The object if it is a trail log file; digests, Insights and other objects are skipped."""
    if _LOG_FILES.keeps_file(key.rsplit("/", 1)[-1]):
        yield (bucket, key)


def _read_log_file(
    bucket: str, key: str, s3_client: Any, on_error: ErrorHandler | None
) -> Iterator[Mapping[str, Any]]:
    url = f"s3://{bucket}/{key}"
    if s3_client is None:
        raise InputError(
            "reading trail log files from S3 needs an S3 client", location=Location(url)
        )
    data = read_object(s3_client, url)
    try:
        for _, record in events_in_bytes(gunzip_if_needed(data, url), url, on_error):
            yield record
    except InputError as error:
        if on_error is None:
            raise
        on_error(error)


def _json(text: object, what: str) -> Any:
    if not isinstance(text, str):
        raise InputError(f"the {what} is missing")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InputError(f"the {what} is not JSON") from None

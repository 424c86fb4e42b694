"""Recognise what a JSON document is and pull the CloudTrail events out of it.

One function knows every shape a CloudTrail event arrives in, so every command accepts them all:
a bare record, an EventBridge envelope, a trail log file (``{"Records": [...]}``),
LookupEvents output, a CloudWatch Logs subscription payload (encoded or decoded), or a JSON
array of any of these.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from trailguard.errors import InputError
from trailguard.events import is_envelope
from trailguard.sources.logs_subscription import (
    decode_subscription_event,
    is_subscription_event,
    is_subscription_payload,
    records_from_payload,
)
from trailguard.sources.lookup_events import is_lookup_response, records_from_lookup_response

_RECORD_KEYS = ("eventVersion", "eventID", "eventName", "eventSource")


def is_record(document: object) -> bool:
    """Whether ``document`` looks like one CloudTrail record: ``eventTime`` and an event field."""
    return (
        isinstance(document, Mapping)
        and "eventTime" in document
        and any(key in document for key in _RECORD_KEYS)
    )


def is_cloudtrail_document(document: object) -> bool:
    """Whether ``document`` is any shape that carries CloudTrail events."""
    if isinstance(document, list):
        return all(is_cloudtrail_document(item) for item in document)
    if not isinstance(document, Mapping):
        return False
    return (
        isinstance(document.get("Records"), list)
        or is_envelope(document)
        or is_lookup_response(document)
        or is_subscription_event(document)
        or is_subscription_payload(document)
        or is_record(document)
    )


def events_from_document(document: Any) -> Iterator[Mapping[str, Any]]:
    """Yield the CloudTrail records and EventBridge envelopes that ``document`` holds.

    Envelopes are yielded as they are (a rule sees their real ``id``, ``account`` and ``region``);
    ``trailguard.events.to_envelope`` and ``from_envelope`` accept both kinds.
    Raises InputError when the document is none of the known shapes.
    """
    if isinstance(document, list):
        for item in document:
            yield from events_from_document(item)
        return
    if not isinstance(document, Mapping):
        raise InputError(f"expected a JSON object or array, got {type(document).__name__}")
    records = document.get("Records")
    if isinstance(records, list):
        for record in records:
            if isinstance(record, Mapping):
                yield record
    elif is_envelope(document) or is_record(document):
        yield document
    elif is_lookup_response(document):
        yield from records_from_lookup_response(document)
    elif is_subscription_event(document):
        yield from records_from_payload(decode_subscription_event(document))
    elif is_subscription_payload(document):
        yield from records_from_payload(document)
    else:
        keys = ", ".join(sorted(document)[:5]) or "no keys"
        raise InputError(f"not a CloudTrail record, log file or event ({keys})")

"""Records from the CloudTrail LookupEvents API (``aws cloudtrail lookup-events`` output).

Each item of ``Events`` carries the full record as a JSON *string* in ``CloudTrailEvent``.
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from trailguard.errors import InputError


def is_lookup_response(document: object) -> bool:
    """Whether ``document`` is a LookupEvents response (``{"Events": [...]}``)."""
    return isinstance(document, Mapping) and isinstance(document.get("Events"), list)


def records_from_lookup_response(response: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The CloudTrail records of one LookupEvents response page, in the order returned."""
    for index, item in enumerate(response.get("Events", []), start=1):
        yield record_from_lookup_event(item, index)


def record_from_lookup_event(item: object, index: int = 1) -> dict[str, Any]:
    """Parse one ``Events[i]`` item's ``CloudTrailEvent`` string into a record."""
    text = item.get("CloudTrailEvent") if isinstance(item, Mapping) else None
    if not isinstance(text, str):
        raise InputError(f"Events[{index - 1}] has no CloudTrailEvent string")
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InputError(f"Events[{index - 1}].CloudTrailEvent is not JSON: {error}") from None
    if not isinstance(record, dict):
        raise InputError(f"Events[{index - 1}].CloudTrailEvent is not a JSON object")
    return record

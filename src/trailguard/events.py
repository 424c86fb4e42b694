"""CloudTrail records and the EventBridge envelopes that carry them.

A CloudTrail record reaches trailguard bare (S3 log files, CloudWatch Logs, LookupEvents) or
wrapped in the envelope EventBridge delivers. Detection always sees the envelope, because that is
what a native EventBridge rule sees; ``to_envelope`` builds it exactly as EventBridge does.
Facts: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

Record = Mapping[str, Any]
"""One CloudTrail record: the JSON object CloudTrail writes (``eventTime``, ``eventName`` ...)."""

Envelope = Mapping[str, Any]
"""One EventBridge event: ``version``, ``id``, ``detail-type``, ``source`` ... ``detail``."""

DETAIL_TYPES: dict[str, str] = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    # Emitted as "Sign In" although one AWS page spells it "Signin":
    # https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-signin.html
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsCloudTrailInsight": "AWS Insight via CloudTrail",
}
_DETAIL_TYPES_FOLDED = {key.lower(): value for key, value in DETAIL_TYPES.items()}

_ENVELOPE_KEYS = frozenset({"detail-type", "source", "detail"})


def detail_type(record: Record) -> str:
    """The EventBridge ``detail-type`` of a record, by its ``eventType``."""
    event_type = record.get("eventType")
    found = DETAIL_TYPES.get(event_type) if isinstance(event_type, str) else None
    if found is None and isinstance(event_type, str):
        # One IAM User Guide sample spells it "AwsConsoleSignin"; fold case to accept it.
        found = _DETAIL_TYPES_FOLDED.get(event_type.lower())
    return found or DETAIL_TYPES["AwsApiCall"]


_SOURCE_BY_EVENT_SOURCE: dict[str, str] = {}
_SOURCE_CACHE_LIMIT = 4096


def event_bridge_source(record: Record) -> str:
    """``aws.`` + the first label of ``eventSource`` (``iam.amazonaws.com`` -> ``aws.iam``)."""
    event_source = record.get("eventSource")
    if not isinstance(event_source, str) or not event_source:
        # Insights records have no eventSource; EventBridge delivers them from CloudTrail.
        return "aws.cloudtrail"
    source = _SOURCE_BY_EVENT_SOURCE.get(event_source)
    if source is None:
        source = "aws." + event_source.split(".", 1)[0]
        if len(_SOURCE_BY_EVENT_SOURCE) < _SOURCE_CACHE_LIMIT:
            _SOURCE_BY_EVENT_SOURCE[event_source] = source
    return source


def is_envelope(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` is an EventBridge envelope rather than a bare CloudTrail record."""
    return (
        "detail-type" in event
        and _ENVELOPE_KEYS.issubset(event.keys())
        and isinstance(event.get("detail"), Mapping)
    )


def to_envelope(record: Record) -> Envelope:
    """Wrap a CloudTrail record exactly as EventBridge delivers it on the default bus.

    ``account`` is the account the event was delivered to (``recipientAccountId``), and
    ``resources`` is always empty for CloudTrail events. EventBridge gives each event a random
    ``id``; here it is the record's ``eventID`` (itself a UUID), so the same record always gets
    the same envelope. An envelope is returned as it is.
    """
    if "detail-type" in record and is_envelope(record):
        return record
    # This runs once per record scanned: the common cases are plain dict look-ups.
    get = record.get
    event_type = get("eventType")
    kind = DETAIL_TYPES.get(event_type) if event_type.__class__ is str else None
    event_source = get("eventSource")
    source = _SOURCE_BY_EVENT_SOURCE.get(event_source) if event_source.__class__ is str else None
    event_id = get("eventID")
    return {
        "version": "0",
        "id": event_id if event_id.__class__ is str and event_id else str(uuid.uuid4()),
        "detail-type": kind or detail_type(record),
        "source": source or event_bridge_source(record),
        "account": get("recipientAccountId") or _identity_account(record) or "",
        "time": get("eventTime", ""),
        "region": get("awsRegion", ""),
        "resources": [],
        "detail": record,
    }


LEAN_ENVELOPE_FIELDS = frozenset({"source", "detail-type", "detail"})
"""The top-level fields almost every CloudTrail pattern reads, and all ``lean_envelope`` builds."""


def lean_envelope(record: Record) -> Envelope:
    """The envelope of a bare record with only ``source``, ``detail-type`` and ``detail``.

    For patterns that read no other top-level field it matches exactly as ``to_envelope`` does,
    at a third of the cost: patterns only see the fields they name, and an envelope never holds a
    dotted key that could stand in the way of one. ``record`` must not be an envelope.
    """
    get = record.get
    event_type = get("eventType")
    kind = DETAIL_TYPES.get(event_type) if event_type.__class__ is str else None
    event_source = get("eventSource")
    source = _SOURCE_BY_EVENT_SOURCE.get(event_source) if event_source.__class__ is str else None
    return {
        "detail-type": kind or detail_type(record),
        "source": source or event_bridge_source(record),
        "detail": record,
    }


def from_envelope(event: Mapping[str, Any]) -> Record:
    """The CloudTrail record inside an EventBridge envelope (a bare record is returned as is)."""
    if is_envelope(event):
        detail: Record = event["detail"]
        return detail
    return event


def _identity_account(record: Record) -> str | None:
    identity = record.get("userIdentity")
    if isinstance(identity, Mapping):
        account = identity.get("accountId")
        return account if isinstance(account, str) else None
    return None


def parse_event_time(value: object) -> datetime | None:
    """Parse CloudTrail's ``eventTime`` (``2024-03-01T12:00:00Z``) into an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class CloudTrailEvent(Mapping[str, Any]):
    """A read-only view of one CloudTrail record with names for the fields people ask about."""

    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = from_envelope(record)

    def __getitem__(self, key: str) -> Any:
        return self._record[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._record)

    def __len__(self) -> int:
        return len(self._record)

    def __repr__(self) -> str:
        return f"CloudTrailEvent({self.event_name!r} at {self.get('eventTime')!r})"

    @property
    def record(self) -> Record:
        """The raw CloudTrail record."""
        return self._record

    @property
    def event_id(self) -> str:
        """``eventID``: CloudTrail's unique id of the event."""
        return str(self._record.get("eventID", ""))

    @property
    def event_name(self) -> str:
        """``eventName``: the API action (empty for Insights events)."""
        return str(self._record.get("eventName", ""))

    @property
    def event_source(self) -> str:
        """``eventSource``: the service endpoint, e.g. ``iam.amazonaws.com``."""
        return str(self._record.get("eventSource", ""))

    @property
    def event_time(self) -> datetime | None:
        """``eventTime`` as an aware UTC datetime, or None when missing or malformed."""
        return parse_event_time(self._record.get("eventTime"))

    @property
    def region(self) -> str:
        """``awsRegion``: the region the request was made to."""
        return str(self._record.get("awsRegion", ""))

    @property
    def account_id(self) -> str:
        """The account that received the event (``recipientAccountId``, else the caller's)."""
        return str(self._record.get("recipientAccountId") or _identity_account(self._record) or "")

    @property
    def source_ip(self) -> str:
        """``sourceIPAddress``: an address, a service name or ``AWS Internal``."""
        return str(self._record.get("sourceIPAddress", ""))

    @property
    def error_code(self) -> str | None:
        """``errorCode``, or None on success."""
        code = self._record.get("errorCode")
        return str(code) if code else None

    @property
    def identity(self) -> Mapping[str, Any]:
        """``userIdentity`` (an empty mapping when missing)."""
        identity = self._record.get("userIdentity")
        return identity if isinstance(identity, Mapping) else {}

    @property
    def identity_type(self) -> str:
        """``userIdentity.type`` (``Root``, ``IAMUser``, ``AssumedRole`` ...), empty when absent."""
        return str(self.identity.get("type", ""))

    @property
    def principal_arn(self) -> str:
        """``userIdentity.arn``; failed console sign-ins have none."""
        return str(self.identity.get("arn", ""))

    @property
    def access_key_id(self) -> str:
        """``userIdentity.accessKeyId`` (``AKIA...`` long-term, ``ASIA...`` temporary)."""
        return str(self.identity.get("accessKeyId", ""))

    @property
    def principal(self) -> str:
        """A short human name for who acted: user name, role session, service or ``root``."""
        identity = self.identity
        kind = identity.get("type")
        if kind == "Root":
            return "root"
        if kind == "AssumedRole":
            arn = str(identity.get("arn", ""))
            # arn:aws:sts::123:assumed-role/RoleName/session -> RoleName/session
            return arn.split(":assumed-role/", 1)[-1] if ":assumed-role/" in arn else arn
        if kind == "AWSService":
            return str(identity.get("invokedBy", "AWS service"))
        name = identity.get("userName") or identity.get("arn") or identity.get("principalId")
        if name:
            return str(name)
        invoked_by = identity.get("invokedBy")
        return str(invoked_by) if invoked_by else "unknown"

    def envelope(self) -> Envelope:
        """The EventBridge envelope of this record."""
        return to_envelope(self._record)

"""Which CloudTrail events an EventBridge pattern can receive, and the regions they land in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trailguard.rules.export import needs_read_only_events

# Console sign-ins land in one of these (or in the regional sign-in endpoint's region):
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
SIGN_IN_REGIONS = ("us-east-1", "us-east-2", "eu-north-1", "ap-southeast-2")
# Global-service events are recorded in us-east-1 only since 2021-11-22:
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events
GLOBAL_EVENTS_REGION = "us-east-1"
GLOBAL_SERVICES = ("iam", "sts", "cloudfront", "organizations", "account")
API_CALL = "AWS API Call via CloudTrail"
SIGN_IN_TYPES = ("AWS Console Sign In via CloudTrail", "AWS Console Signin via CloudTrail")
_RECORD_KEYS = frozenset(
    {"eventSource", "eventName", "eventType", "userIdentity", "errorCode", "requestParameters"}
)


def branches(pattern: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alternatives of a pattern: one per top-level ``$or`` branch, else the pattern itself."""
    alternatives = pattern.get("$or")
    if not isinstance(alternatives, list):
        return [pattern]
    rest = {key: value for key, value in pattern.items() if key != "$or"}
    return [_merge(rest, branch) for branch in alternatives if isinstance(branch, Mapping)]


def is_cloudtrail(pattern: Mapping[str, Any]) -> bool:
    """Whether a pattern is meant for CloudTrail events (by detail-type or record fields)."""
    for branch in branches(pattern):
        types = _exact(branch.get("detail-type"))
        if types is not None:
            if any("via CloudTrail" in value for value in types):
                return True
            continue
        detail = branch.get("detail")
        if isinstance(detail, Mapping) and _RECORD_KEYS & set(detail):
            return True
    return False


def can_receive(pattern: Mapping[str, Any], service: str, detail_type: str) -> bool:
    """Whether no exact value of source, detail-type or eventSource rules out this service's events.

    ``service`` is the first label of eventSource (``signin``); matchers other than exact values
    count as "could match", so the answer errs towards True.
    """
    for branch in branches(pattern):
        detail = branch.get("detail")
        event_sources = _exact(detail.get("eventSource")) if isinstance(detail, Mapping) else None
        if (
            _allows(branch.get("source"), f"aws.{service}")
            and _allows(branch.get("detail-type"), detail_type)
            and (event_sources is None or f"{service}.amazonaws.com" in event_sources)
        ):
            return True
    return False


def receives_sign_ins(pattern: Mapping[str, Any]) -> bool:
    """Whether a CloudTrail pattern can match console sign-in events."""
    return any(can_receive(pattern, "signin", kind) for kind in SIGN_IN_TYPES)


def receives_global_events(pattern: Mapping[str, Any]) -> bool:
    """Whether a CloudTrail pattern can match events of global services (IAM, STS ...)."""
    return any(can_receive(pattern, service, API_CALL) for service in GLOBAL_SERVICES)


def reads_read_only(pattern: Mapping[str, Any]) -> bool:
    """Whether a pattern can match read-only API calls, which need the all-management state.

    Sign-in and other non-API detail-types are never read-only calls; for API calls the rule
    is ``rules.export.needs_read_only_events``.
    """
    for branch in branches(pattern):
        if not _allows(branch.get("detail-type"), API_CALL):
            continue
        sources = _exact(branch.get("source"))
        if sources is not None and sources <= {"aws.signin"}:
            continue
        detail = branch.get("detail")
        read_only = _exact(detail.get("readOnly")) if isinstance(detail, Mapping) else None
        if read_only is not None and True not in read_only:
            continue
        if needs_read_only_events(branch):
            return True
    return False


def _exact(values: object) -> frozenset[Any] | None:
    """The exact values a field may have, or None when any value (or a matcher) is allowed."""
    if not isinstance(values, list) or not all(
        isinstance(value, str | bool | int | float) for value in values
    ):
        return None
    return frozenset(values)


def _allows(values: object, wanted: str) -> bool:
    exact = _exact(values)
    return exact is None or wanted in exact


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    return merged

"""Findings of ``trailguard doctor``: what is wrong, where, why it matters and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailguard.rules.model import Severity


@dataclass(frozen=True)
class Finding:
    """One problem in an account's CloudTrail alerting setup."""

    id: str
    severity: Severity
    resource: str
    region: str | None
    title: str
    why: str
    fix: str

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready values."""
        return {
            "id": self.id,
            "severity": str(self.severity),
            "resource": self.resource,
            "region": self.region,
            "title": self.title,
            "why": self.why,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class FindingKind:
    """What every finding of one id shares: its severity, title and why it matters."""

    id: str
    severity: Severity
    title: str
    why: str

    def at(self, resource: str, region: str | None, fix: str, detail: str = "") -> Finding:
        """A finding of this kind about ``resource``; ``detail`` adds what was seen."""
        why = f"{detail} {self.why}" if detail else self.why
        return Finding(self.id, self.severity, resource, region, self.title, why, fix)


NO_TRAIL = FindingKind(
    "no-trail",
    Severity.CRITICAL,
    "No CloudTrail trail",
    "Without a trail nothing is kept beyond 90 days of event history, and EventBridge receives "
    "no 'AWS API Call via CloudTrail' events, so no rule ever fires.",
)
TRAIL_NOT_LOGGING = FindingKind(
    "trail-not-logging",
    Severity.HIGH,
    "Trail is not logging",
    "A stopped trail records nothing: no log files, no CloudWatch Logs events, and no CloudTrail "
    "events on EventBridge from it.",
)
DUPLICATE_TRAILS = FindingKind(
    "duplicate-multi-region-trails",
    Severity.MEDIUM,
    "More than one multi-region trail records management events",
    "Only the first copy of management events is free: every further trail that records them "
    "is billed per event (the PaidEventsRecorded metric rises).",
)
GLOBAL_EVENTS_OFF = FindingKind(
    "global-events-off",
    Severity.HIGH,
    "No trail records global-service events",
    "IAM, STS (global endpoint), CloudFront and Organizations events are recorded only in "
    "us-east-1 and only by trails with IncludeGlobalServiceEvents; without one, IAM changes go "
    "unrecorded.",
)
MANAGEMENT_EXCLUDED = FindingKind(
    "management-events-excluded",
    Severity.HIGH,
    "No trail records management events",
    "The trail's event selectors exclude management events, so sign-ins, IAM changes and every "
    "other control-plane call go unrecorded.",
)
MANAGEMENT_WRITE_ONLY = FindingKind(
    "management-events-write-only",
    Severity.MEDIUM,
    "Trails record only write management events",
    "Read-only calls (Get*, List*, Describe*) are not recorded, so reconnaissance and data access "
    "through the control plane leave no trace.",
)
VALIDATION_OFF = FindingKind(
    "log-file-validation-off",
    Severity.MEDIUM,
    "Log file validation is off",
    "Without digest files nobody can prove that a log file was not changed or deleted after "
    "delivery (CIS 3.2, Security Hub CloudTrail.4).",
)
BUCKET_PUBLIC = FindingKind(
    "bucket-policy-public",
    Severity.CRITICAL,
    "Trail bucket policy allows public access",
    "An Allow statement for any principal without a condition that narrows it lets anyone "
    "read or change the account's audit logs.",
)
BUCKET_NON_TLS = FindingKind(
    "bucket-policy-allows-non-tls",
    Severity.MEDIUM,
    "Trail bucket policy does not deny plain HTTP",
    "Without a Deny on aws:SecureTransport=false, log files can be read or written over "
    "unencrypted connections (Security Hub S3.5).",
)
RULES_MISSING = FindingKind(
    "eventbridge-rules-missing-in-region",
    Severity.HIGH,
    "EventBridge rules missing where the events land",
    "EventBridge is regional: console sign-ins are recorded in us-east-1, us-east-2, eu-north-1, "
    "ap-southeast-2 or the regional sign-in endpoint's region, and global-service events in "
    "us-east-1; a rule elsewhere never sees them.",
)
CUSTOM_BUS = FindingKind(
    "cloudtrail-rule-on-custom-bus",
    Severity.HIGH,
    "CloudTrail rule on a custom event bus",
    "AWS services deliver CloudTrail events only to the default bus, so this rule never matches "
    "unless something forwards the events to its bus.",
)
LAMBDA_PERMISSION = FindingKind(
    "lambda-permission-missing",
    Severity.HIGH,
    "Lambda target without invoke permission",
    "EventBridge cannot invoke a function whose resource policy does not allow "
    "events.amazonaws.com for this rule; every matching event is dropped.",
)
READ_ONLY_STATE = FindingKind(
    "read-only-rule-without-all-management-events",
    Severity.MEDIUM,
    "Rule can match read-only calls but does not receive them",
    "EventBridge delivers read-only management events (Get*, List*, Describe*) only to rules in "
    "state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS; this rule silently misses them.",
)
NO_LOG_GROUP = FindingKind(
    "cis-no-log-group",
    Severity.LOW,
    "No trail sends events to CloudWatch Logs",
    "The CIS metric filters (Security Hub CloudWatch.1-14) need a trail log group; without one "
    "every one of those controls fails.",
)
CIS_MISSING = FindingKind(
    "cis-metric-filter-missing",
    Severity.LOW,
    "CIS metric filter missing",
    "Security Hub checks for a metric filter with exactly the CIS pattern on a trail's log group; "
    "the control fails without it.",
)
CIS_NOT_EXACT = FindingKind(
    "cis-metric-filter-not-exact",
    Severity.MEDIUM,
    "CIS metric filter differs from the benchmark",
    "Security Hub accepts only the exact CIS pattern (whitespace aside); a filter that differs by "
    "one term fails the control even though it looks right.",
)
CIS_ALARM_MISSING = FindingKind(
    "cis-alarm-missing",
    Severity.LOW,
    "CIS metric without an alarm",
    "A metric filter alone alerts nobody; the CIS control also needs an alarm on its metric.",
)
ALARM_NO_ACTIONS = FindingKind(
    "alarm-without-actions",
    Severity.MEDIUM,
    "Alarm without actions",
    "An alarm with no enabled action changes state silently; nobody hears about it.",
)
TOPIC_UNCONFIRMED = FindingKind(
    "sns-topic-unconfirmed",
    Severity.MEDIUM,
    "SNS topic without a confirmed subscription",
    "Messages published to a topic nobody has confirmed a subscription to are delivered to no one.",
)
CHECK_FAILED = FindingKind(
    "check-failed",
    Severity.LOW,
    "A check could not run",
    "The doctor could not read what it needs, so problems here may be unreported.",
)

FINDING_KINDS: dict[str, FindingKind] = {
    kind.id: kind
    for kind in (
        NO_TRAIL,
        TRAIL_NOT_LOGGING,
        DUPLICATE_TRAILS,
        GLOBAL_EVENTS_OFF,
        MANAGEMENT_EXCLUDED,
        MANAGEMENT_WRITE_ONLY,
        VALIDATION_OFF,
        BUCKET_PUBLIC,
        BUCKET_NON_TLS,
        RULES_MISSING,
        CUSTOM_BUS,
        LAMBDA_PERMISSION,
        READ_ONLY_STATE,
        NO_LOG_GROUP,
        CIS_MISSING,
        CIS_NOT_EXACT,
        CIS_ALARM_MISSING,
        ALARM_NO_ACTIONS,
        TOPIC_UNCONFIRMED,
        CHECK_FAILED,
    )
}
"""Every finding the doctor can report, by id."""

"""Alerts: what a rule says about the events that matched it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trailguard.events import CloudTrailEvent
from trailguard.rules.model import Rule, Severity


@dataclass(frozen=True)
class Alert:
    """One alert: the rule, the event that raised it and the fields people read first.

    A threshold rule's alert is raised by the event that reached the count; ``count`` and
    ``related_event_ids`` tell the others.
    """

    rule_id: str
    severity: Severity
    title: str
    event_time: str
    event_id: str
    event_name: str
    event_source: str
    account: str
    region: str
    principal: str
    principal_arn: str
    source_ip: str
    error_code: str | None
    record: Mapping[str, Any] = field(compare=False, repr=False)
    count: int = 1
    related_event_ids: tuple[str, ...] = ()

    @classmethod
    def from_match(
        cls, rule: Rule, event: CloudTrailEvent, *, related_event_ids: Sequence[str] = ()
    ) -> Alert:
        """The alert ``rule`` raises for ``event`` (and the events of a threshold's burst)."""
        return cls(
            rule_id=rule.id,
            severity=rule.severity,
            title=rule.title,
            event_time=str(event.get("eventTime", "")),
            event_id=event.event_id,
            event_name=event.event_name,
            event_source=event.event_source,
            account=event.account_id,
            region=event.region,
            principal=event.principal,
            principal_arn=event.principal_arn,
            source_ip=event.source_ip,
            error_code=event.error_code,
            record=event.record,
            count=len(related_event_ids) or 1,
            related_event_ids=tuple(related_event_ids),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        """The alert ``to_dict`` wrote (JSON output, the store, a Spark scan's output).

        Raises KeyError or ValueError when a field is missing or wrong.
        """
        return cls(
            rule_id=str(data["rule"]),
            severity=Severity.parse(str(data["severity"])),
            title=str(data["title"]),
            event_time=str(data["eventTime"]),
            event_id=str(data["eventID"]),
            event_name=str(data["eventName"]),
            event_source=str(data["eventSource"]),
            account=str(data["account"]),
            region=str(data["region"]),
            principal=str(data["principal"]),
            principal_arn=str(data["principalArn"]),
            source_ip=str(data["sourceIPAddress"]),
            # summary() prints a missing errorCode as "", as CloudTrailEvent reads "" as none.
            error_code=str(data["errorCode"]) if data.get("errorCode") else None,
            record=data["record"],
            count=int(data["count"]),
            related_event_ids=tuple(str(i) for i in data["relatedEventIDs"]),
        )

    def summary(self) -> dict[str, Any]:
        """The alert's fields without the record, for tables and CSV."""
        return {
            "eventTime": self.event_time,
            "severity": str(self.severity),
            "rule": self.rule_id,
            "title": self.title,
            "principal": self.principal,
            "eventName": self.event_name,
            "account": self.account,
            "region": self.region,
            "sourceIPAddress": self.source_ip,
            "errorCode": self.error_code or "",
            "count": self.count,
            "eventID": self.event_id,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, the record included, for JSON output and the store."""
        return {
            **self.summary(),
            "eventSource": self.event_source,
            "principalArn": self.principal_arn,
            "relatedEventIDs": list(self.related_event_ids),
            "record": self.record,
        }

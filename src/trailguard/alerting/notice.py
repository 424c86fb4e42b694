"""An alert on its way to destinations, and the contract of the steps that shape it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trailguard.alerts import Alert
from trailguard.config.model import Target
from trailguard.notify.message import Digest
from trailguard.rules.model import Rule, Severity


@dataclass(frozen=True)
class Notice:
    """An alert with what the pipeline learnt about it: alias, targets, and a digest if any."""

    alert: Alert
    rule: Rule | None = None
    account_alias: str | None = None
    targets: tuple[Target, ...] = ()
    digest: Digest | None = None

    @property
    def delivery_event_id(self) -> str:
        """The event id deliveries are recorded under (``digest-<first eventID>`` for digests)."""
        return f"digest-{self.alert.event_id}" if self.digest else self.alert.event_id

    def payload(self) -> dict[str, Any]:
        """Everything needed to send this notice again later (``alerts redeliver``)."""
        found: dict[str, Any] = {"alert": self.alert.to_dict(), "alias": self.account_alias}
        if self.digest is not None:
            found["digest"] = {
                "count": self.digest.count,
                "first_time": self.digest.first_time,
                "last_time": self.digest.last_time,
                "event_ids": list(self.digest.event_ids),
            }
        return found


Step = Callable[[Notice], "Notice | None"]
"""One pipeline step: returns the notice (changed or not), or None to drop it."""


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    """Rebuild an alert from ``Alert.to_dict()`` (as kept in the store)."""
    return Alert(
        rule_id=str(data["rule"]),
        severity=Severity.parse(str(data["severity"])),
        title=str(data["title"]),
        event_time=str(data.get("eventTime", "")),
        event_id=str(data["eventID"]),
        event_name=str(data.get("eventName", "")),
        event_source=str(data.get("eventSource", "")),
        account=str(data.get("account", "")),
        region=str(data.get("region", "")),
        principal=str(data.get("principal", "")),
        principal_arn=str(data.get("principalArn", "")),
        source_ip=str(data.get("sourceIPAddress", "")),
        error_code=data.get("errorCode") or None,
        record=data.get("record") or {},
        count=int(data.get("count", 1)),
        related_event_ids=tuple(data.get("relatedEventIDs", ())),
    )


def notice_from_payload(
    payload: Mapping[str, Any], target: Target, rules: Mapping[str, Rule]
) -> Notice:
    """The notice a stored delivery payload describes, aimed at ``target``."""
    alert = alert_from_dict(payload["alert"])
    digest_data = payload.get("digest")
    digest = (
        Digest(
            count=int(digest_data["count"]),
            first_time=str(digest_data["first_time"]),
            last_time=str(digest_data["last_time"]),
            event_ids=tuple(digest_data.get("event_ids", ())),
        )
        if isinstance(digest_data, Mapping)
        else None
    )
    return Notice(
        alert,
        rules.get(alert.rule_id),
        account_alias=payload.get("alias"),
        targets=(target,),
        digest=digest,
    )

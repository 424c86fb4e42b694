"""What a notification says, before any destination shapes it: pure functions of an alert.

``build_message`` turns an alert into a ``Message`` (title, one-line summary, labelled fields,
links); each destination module renders a ``Message`` into its own payload. Console sign-ins get
their own fields (result, MFA, LoginTo); API events say who, what, where and when.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson

from trailguard.alerts import Alert
from trailguard.config.model import Template
from trailguard.events import CloudTrailEvent, parse_event_time
from trailguard.rules.model import Rule, Severity

TRUNCATED = "… [truncated]"
MAX_PARAMETERS = 8
MAX_PARAMETER_LENGTH = 200
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_REGION_HOST = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)\.")


def truncate(text: str, limit: int, marker: str = TRUNCATED) -> str:
    """``text`` cut to at most ``limit`` characters, ending with ``marker`` when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return text[:limit]
    return text[: limit - len(marker)] + marker


@dataclass(frozen=True)
class Field:
    """One labelled fact; ``long`` ones get a row of their own (monospace where possible)."""

    label: str
    value: str
    long: bool = False


@dataclass(frozen=True)
class Link:
    """A labelled URL: the event in the CloudTrail console, the rule's runbook."""

    label: str
    url: str


@dataclass(frozen=True)
class Message:
    """A notification in destination-neutral form."""

    kind: str
    title: str
    summary: str
    severity: Severity
    rule_id: str
    rule_title: str
    fields: tuple[Field, ...] = ()
    links: tuple[Link, ...] = ()
    event: Mapping[str, Any] = field(default_factory=dict)
    record: Mapping[str, Any] | None = field(default=None, compare=False)
    count: int = 1

    def text(self) -> str:
        """The message as plain text: title, summary, fields, then links."""
        lines = [self.title, "", self.summary, ""]
        for item in self.fields:
            if item.long or "\n" in item.value:
                lines.extend([f"{item.label}:", *("    " + v for v in item.value.splitlines())])
            else:
                lines.append(f"{item.label}: {item.value}")
        lines.append("")
        lines.append(f"Rule: {self.rule_title} ({self.rule_id}), severity {self.severity}")
        lines.extend(f"{link.label}: {link.url}" for link in self.links)
        return "\n".join(lines)


@dataclass(frozen=True)
class Digest:
    """Repeats of one alert key that were held back during a throttle window."""

    count: int
    first_time: str
    last_time: str
    event_ids: tuple[str, ...] = ()


def format_time(event_time: str, tz: tzinfo = UTC) -> tuple[str, str]:
    """``(local, utc)`` renderings of a CloudTrail time (``2022-11-11 01:24:34 KST``)."""
    moment = parse_event_time(event_time)
    if moment is None:
        return event_time or "unknown", event_time or "unknown"
    utc = moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    local = moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    return local, utc


def when(event_time: str, tz: tzinfo = UTC) -> str:
    """The local time, and UTC in parentheses when the zone is not UTC."""
    local, utc = format_time(event_time, tz)
    return utc if local == utc else f"{local} ({utc})"


def console_url(region: str, event_id: str) -> str:
    """The event's page in the CloudTrail console (it opens in the account that holds it)."""
    region = region or "us-east-1"
    return (
        f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}"
        f"#/events/{event_id}"
    )


def person(event: CloudTrailEvent) -> str:
    """Who acted, as a person where the record allows: SSO user, source identity, user name."""
    identity = event.identity
    kind = identity.get("type")
    session_context = identity.get("sessionContext")
    context = session_context if isinstance(session_context, Mapping) else {}
    if kind == "AssumedRole":
        arn = str(identity.get("arn", ""))
        role, _, session = arn.partition(":assumed-role/")[2].partition("/")
        if role.startswith("AWSReservedSSO_"):
            permission_set = role.removeprefix("AWSReservedSSO_").rsplit("_", 1)[0]
            return f"{session} (SSO {permission_set})"
        source_identity = context.get("sourceIdentity")
        if source_identity:
            return f"{source_identity} (as {role}/{session})"
        return f"{role}/{session}" if role else event.principal
    if kind == "IdentityCenterUser":
        on_behalf = identity.get("onBehalfOf")
        user_id = on_behalf.get("userId") if isinstance(on_behalf, Mapping) else None
        return str(identity.get("userName") or f"Identity Center user {user_id or 'unknown'}")
    if kind == "FederatedUser":
        arn = str(identity.get("arn", ""))
        return arn.partition(":federated-user/")[2] or event.principal
    return event.principal


def _sign_in_region(login_to: str) -> str:
    parsed = urlparse(login_to)
    found = parse_qs(parsed.query).get("region")
    if found:
        return found[0]
    host = _REGION_HOST.match(parsed.netloc)
    return host.group(1) if host else "global"


def key_parameters(record: Mapping[str, Any]) -> str:
    """The request parameters as ``name: value`` lines, the first few and each one short."""
    parameters = record.get("requestParameters")
    if not isinstance(parameters, Mapping) or not parameters:
        return ""
    lines: list[str] = []
    for name, value in parameters.items():
        if value is None or value in ("", [], {}):
            continue
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        lines.append(f"{name}: {truncate(text, MAX_PARAMETER_LENGTH)}")
    if len(lines) > MAX_PARAMETERS:
        lines = [*lines[:MAX_PARAMETERS], f"… {len(lines) - MAX_PARAMETERS} more"]
    return "\n".join(lines)


def _path(record: Mapping[str, Any], dotted: str) -> str:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def fill(template: str, variables: Mapping[str, str], record: Mapping[str, Any]) -> str:
    """A template with ``{name}`` variables, ``{fields.x}`` rule fields and ``{a.b}`` paths."""

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name in variables:
            return variables[name]
        if name.startswith("fields."):
            return variables.get(name, "")
        return _path(record, name) if "." in name else found.group(0)

    return _PLACEHOLDER.sub(value, template)


@dataclass(frozen=True)
class _Facts:
    """The pieces of an alert every message needs, computed once."""

    event: CloudTrailEvent
    alias: str | None
    tz: tzinfo

    @property
    def account_label(self) -> str:
        account = self.event.account_id or "unknown account"
        return f"{self.alias} ({account})" if self.alias else account

    def variables(self, alert: Alert, rule: Rule | None) -> dict[str, str]:
        event = self.event
        local, utc = format_time(alert.event_time, self.tz)
        found = {
            "title": alert.title,
            "rule_id": alert.rule_id,
            "severity": str(alert.severity),
            "identity_type": event.identity_type or "Unknown",
            "principal": event.principal,
            "person": person(event),
            "principal_arn": event.principal_arn,
            "event_name": event.event_name,
            "event_source": event.event_source,
            "account": event.account_id,
            "account_alias": self.alias or event.account_id,
            "region": event.region,
            "source_ip": event.source_ip,
            "error_code": event.error_code or "",
            "error_message": str(event.get("errorMessage", "")),
            "user_agent": str(event.get("userAgent", "")),
            "event_id": event.event_id,
            "event_time": local,
            "event_time_utc": utc,
            "count": str(alert.count),
        }
        for name, path in (rule.fields if rule else {}).items():
            found[f"fields.{name}"] = _path(event.record, path)
        return found


def build_message(  # noqa: PLR0913 - the options are keyword-only
    alert: Alert,
    *,
    rule: Rule | None = None,
    tz: tzinfo = UTC,
    account_alias: str | None = None,
    template: Template | None = None,
    digest: Digest | None = None,
) -> Message:
    """The message for one alert (or for the digest of its held-back repeats)."""
    facts = _Facts(CloudTrailEvent(alert.record), account_alias, tz)
    event = facts.event
    if event.event_name == "ConsoleLogin":
        title, summary, fields = _sign_in(facts)
    else:
        title, summary, fields = _api_call(facts, alert)
    if rule is not None:
        fields += [
            Field(name, value)
            for name, path in rule.fields.items()
            if (value := _path(event.record, path))
        ]
    if rule is not None and rule.title_template:
        template = (template or Template()).merged_over(Template(title=rule.title_template))
    if template is not None:
        variables = facts.variables(alert, rule)
        title = fill(template.title, variables, event.record) if template.title else title
        summary = fill(template.summary, variables, event.record) if template.summary else summary
    kind = "alert"
    if digest is not None:
        kind = "digest"
        title = f"{digest.count} more: {title}"
        summary = (
            f"{digest.count} more alerts like this one were held back between "
            f"{when(digest.first_time, tz)} and {when(digest.last_time, tz)}. {summary}"
        )
        fields.insert(0, Field("Repeats", str(digest.count)))
    links = [Link("CloudTrail event", console_url(event.region, event.event_id))]
    if rule is not None and rule.runbook:
        links.append(Link("Runbook", rule.runbook))
    return Message(
        kind=kind,
        title=title,
        summary=summary,
        severity=alert.severity,
        rule_id=alert.rule_id,
        rule_title=alert.title,
        fields=tuple(fields),
        links=tuple(links),
        event=_event_facts(alert, facts, digest),
        record=alert.record,
        count=digest.count if digest else alert.count,
    )


def _sign_in(facts: _Facts) -> tuple[str, str, list[Field]]:
    event = facts.event
    extra = event.get("additionalEventData")
    data = extra if isinstance(extra, Mapping) else {}
    response = event.get("responseElements")
    outcome = response.get("ConsoleLogin") if isinstance(response, Mapping) else None
    failed = outcome == "Failure" or bool(event.get("errorMessage"))
    result = "Failure" if failed else str(outcome or "Success")
    if failed and event.get("errorMessage"):
        result += f": {event.get('errorMessage')}"
    mfa = str(data.get("MFAUsed", "")).capitalize() or "Unknown"
    kind = event.identity_type or "Unknown"
    name = "root" if kind == "Root" else person(event)
    title = f"[{kind}] {name} AWS Console Login" + (" (Failure)" if failed else "")
    source = event.source_ip or "an unknown address"
    if failed:
        reason = str(event.get("errorMessage") or "Failure")
        summary = (
            f"{name} ({kind}) failed to sign in to the AWS console of {facts.account_label} "
            f"from {source}: {reason}; MFA used: {mfa}."
        )
    else:
        summary = (
            f"{name} ({kind}) signed in to the AWS console of {facts.account_label} "
            f"from {source}; MFA used: {mfa}."
        )
    login_to = str(data.get("LoginTo", ""))
    fields = [
        Field(
            "Identity",
            f"{kind} {name}" + (f"\n{event.principal_arn}" if event.principal_arn else ""),
        ),
        Field("Time", when(str(event.get("eventTime", "")), facts.tz)),
        Field("Source IP", event.source_ip or "unknown"),
        Field("Result", result),
        Field("MFA used", mfa),
        Field("Account", facts.account_label),
        Field("Region recorded", event.region or "unknown"),
        Field("Login to", _sign_in_region(login_to) if login_to else "not recorded"),
    ]
    if login_to:
        fields.append(Field("LoginTo", login_to, long=True))
    if event.get("userAgent"):
        fields.append(Field("User agent", str(event["userAgent"]), long=True))
    return title, summary, fields


def _api_call(facts: _Facts, alert: Alert) -> tuple[str, str, list[Field]]:
    event = facts.event
    who = person(event)
    summary = (
        f"{who} called {event.event_name or 'an API'} ({event.event_source or 'unknown service'}) "
        f"in {facts.account_label} {event.region} from {event.source_ip or 'an unknown address'}"
    )
    if event.error_code:
        summary += f"; it failed with {event.error_code}"
    who_value = who + (f"\n{event.principal_arn}" if event.principal_arn else "")
    fields = [
        Field("Who", who_value),
        Field("What", f"{event.event_name} on {event.event_source}"),
        Field("Where", f"{facts.account_label}, {event.region or 'unknown region'}"),
        Field("When", when(str(event.get("eventTime", "")), facts.tz)),
        Field("Source IP", event.source_ip or "unknown"),
    ]
    if event.error_code:
        message = str(event.get("errorMessage", ""))
        fields.append(Field("Error", event.error_code + (f": {message}" if message else "")))
    if alert.count > 1:
        fields.append(Field("Count", f"{alert.count} matching events"))
    parameters = key_parameters(event.record)
    if parameters:
        fields.append(Field("Request parameters", parameters, long=True))
    if event.get("userAgent"):
        fields.append(Field("User agent", str(event["userAgent"]), long=True))
    return alert.title, summary + ".", fields


def _event_facts(alert: Alert, facts: _Facts, digest: Digest | None) -> dict[str, Any]:
    event = facts.event
    found: dict[str, Any] = {
        "eventID": event.event_id,
        "eventTime": alert.event_time,
        "eventName": event.event_name,
        "eventSource": event.event_source,
        "account": event.account_id,
        "accountAlias": facts.alias,
        "region": event.region,
        "identityType": event.identity_type,
        "principal": person(event),
        "principalArn": event.principal_arn,
        "sourceIPAddress": event.source_ip,
        "errorCode": event.error_code,
        "count": alert.count,
        "relatedEventIDs": list(alert.related_event_ids),
    }
    if digest is not None:
        found["digest"] = {
            "count": digest.count,
            "firstTime": digest.first_time,
            "lastTime": digest.last_time,
            "eventIDs": list(digest.event_ids),
        }
    return found


SAMPLE_RECORD: Mapping[str, Any] = {
    "eventVersion": "1.05",
    "userIdentity": {
        "type": "Root",
        "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root",
        "accountId": "111122223333",
        "accessKeyId": "",
    },
    "eventTime": "2024-03-01T12:00:00Z",
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "192.0.2.10",
    "userAgent": "Mozilla/5.0 (trailguard notify test)",
    "requestParameters": None,
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {
        "LoginTo": "https://console.aws.amazon.com/console/home?region=eu-west-1",
        "MobileVersion": "No",
        "MFAUsed": "No",
    },
    "eventID": "00000000-0000-4000-8000-000000000000",
    "eventType": "AwsConsoleSignIn",
    "recipientAccountId": "111122223333",
}


def sample_alert() -> Alert:
    """A test alert (a root console sign-in without MFA) for ``trailguard notify test``."""
    event = CloudTrailEvent(SAMPLE_RECORD)
    return Alert(
        rule_id="trailguard-test",
        severity=Severity.INFO,
        title="trailguard test notification",
        event_time=str(SAMPLE_RECORD["eventTime"]),
        event_id=event.event_id,
        event_name=event.event_name,
        event_source=event.event_source,
        account=event.account_id,
        region=event.region,
        principal=event.principal,
        principal_arn=event.principal_arn,
        source_ip=event.source_ip,
        error_code=None,
        record=SAMPLE_RECORD,
    )

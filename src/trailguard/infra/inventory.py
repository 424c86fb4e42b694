"""What an account already has: trails and EventBridge rules, read alike by doctor and deploy."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trailguard.infra.clients import AwsClients, aws_errors, error_code

DEFAULT_BUS = "default"


@dataclass(frozen=True)
class TrailInfo:
    """One trail as its home region describes it, with its status and event selectors."""

    name: str
    arn: str
    home_region: str
    multi_region: bool
    global_events: bool
    log_file_validation: bool
    organization: bool
    bucket: str | None
    kms_key: str | None
    log_group_arn: str | None
    logs_role_arn: str | None
    logging: bool
    management: str | None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def log_group(self) -> tuple[str, str] | None:
        """(region, name) of the trail's CloudWatch Logs group, if it sends events there."""
        if not self.log_group_arn:
            return None
        # arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*
        parts = self.log_group_arn.split(":")
        return parts[3], parts[6]


@dataclass(frozen=True)
class RuleInfo:
    """One EventBridge rule with its pattern (parsed) and targets."""

    name: str
    arn: str
    region: str
    bus: str
    state: str
    pattern: Mapping[str, Any] | None
    targets: tuple[Mapping[str, Any], ...] = ()


def list_trails(clients: AwsClients, regions: Iterable[str]) -> list[TrailInfo]:
    """Every trail visible from ``regions``: multi-region trails and each region's own trails.

    Details are read with a client in the trail's home region, which is the only one that can
    answer GetTrail and GetEventSelectors for it.
    """
    seen: dict[str, Mapping[str, Any]] = {}
    for region in regions:
        with aws_errors(f"cloudtrail:ListTrails in {region}"):
            pages = clients.cloudtrail(region).get_paginator("list_trails").paginate()
            for page in pages:
                for trail in page.get("Trails", []):
                    seen.setdefault(str(trail["TrailARN"]), trail)
    return [_describe(clients, summary) for _, summary in sorted(seen.items())]


def _describe(clients: AwsClients, summary: Mapping[str, Any]) -> TrailInfo:
    arn, home = str(summary["TrailARN"]), str(summary["HomeRegion"])
    cloudtrail = clients.cloudtrail(home)
    with aws_errors(f"trail {arn}"):
        trail = cloudtrail.get_trail(Name=arn)["Trail"]
        status = cloudtrail.get_trail_status(Name=arn)
        selectors = cloudtrail.get_event_selectors(TrailName=arn)
        tags = _trail_tags(clients, home, arn)
    return TrailInfo(
        name=str(trail.get("Name", "")),
        arn=arn,
        home_region=home,
        multi_region=bool(trail.get("IsMultiRegionTrail")),
        global_events=bool(trail.get("IncludeGlobalServiceEvents")),
        log_file_validation=bool(trail.get("LogFileValidationEnabled")),
        organization=bool(trail.get("IsOrganizationTrail")),
        bucket=trail.get("S3BucketName"),
        kms_key=trail.get("KmsKeyId"),
        log_group_arn=trail.get("CloudWatchLogsLogGroupArn"),
        logs_role_arn=trail.get("CloudWatchLogsRoleArn"),
        logging=bool(status.get("IsLogging")),
        management=management_events(selectors),
        tags=tags,
    )


def _trail_tags(clients: AwsClients, home: str, arn: str) -> dict[str, str]:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        found = clients.cloudtrail(home).list_tags(ResourceIdList=[arn])
    except ClientError as error:
        # A member account may see an organization trail it cannot read the tags of.
        if error_code(error) in {"AccessDeniedException", "AccessDenied"}:
            return {}
        raise
    return {
        str(tag["Key"]): str(tag.get("Value", ""))
        for entry in found.get("ResourceTagList", [])
        for tag in entry.get("TagsList", [])
    }


def management_events(selectors: Mapping[str, Any]) -> str | None:
    """What a trail records of management events: ``All``, ``WriteOnly``, ``ReadOnly`` or None.

    A trail that never had selectors set records all management events; moto answers [] for it
    where AWS answers the default selector, so both mean ``All``.
    """
    classic: Sequence[Mapping[str, Any]] = selectors.get("EventSelectors") or []
    advanced: Sequence[Mapping[str, Any]] = selectors.get("AdvancedEventSelectors") or []
    if not classic and not advanced:
        return "All"
    kinds = {
        str(selector.get("ReadWriteType", "All"))
        for selector in classic
        if selector.get("IncludeManagementEvents", True)
    }
    kinds |= {_advanced_management(selector) for selector in advanced} - {None}  # type: ignore[arg-type]
    if not kinds:
        return None
    if "All" in kinds or {"ReadOnly", "WriteOnly"} <= kinds:
        return "All"
    return kinds.pop()


def _advanced_management(selector: Mapping[str, Any]) -> str | None:
    fields = {str(item.get("Field")): item for item in selector.get("FieldSelectors", []) or []}
    category = fields.get("eventCategory", {})
    if "Management" not in (category.get("Equals") or []):
        return None
    read_only = fields.get("readOnly", {}).get("Equals") or []
    if read_only == ["true"]:
        return "ReadOnly"
    if read_only == ["false"]:
        return "WriteOnly"
    return "All"


def list_rules(clients: AwsClients, region: str, bus: str = DEFAULT_BUS) -> list[RuleInfo]:
    """Every rule on ``bus`` in ``region``, with its targets."""
    events = clients.events(region)
    found: list[RuleInfo] = []
    with aws_errors(f"events:ListRules on bus {bus} in {region}"):
        token: str | None = None
        while True:
            page = (
                events.list_rules(EventBusName=bus, NextToken=token)
                if token
                else events.list_rules(EventBusName=bus)
            )
            for rule in page.get("Rules", []):
                name = str(rule["Name"])
                targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
                found.append(
                    RuleInfo(
                        name=name,
                        arn=str(rule["Arn"]),
                        region=region,
                        bus=bus,
                        state=str(rule.get("State", "")),
                        pattern=_pattern(rule.get("EventPattern")),
                        targets=tuple(dict(target) for target in targets),
                    )
                )
            token = page.get("NextToken")
            if not token:
                return found


def list_buses(clients: AwsClients, region: str) -> list[str]:
    """Names of the event buses in ``region``, the default bus first."""
    with aws_errors(f"events:ListEventBuses in {region}"):
        buses = clients.events(region).list_event_buses().get("EventBuses", [])
    names = sorted(str(bus["Name"]) for bus in buses if bus.get("Name") != DEFAULT_BUS)
    return [DEFAULT_BUS, *names]


def _pattern(text: object) -> Mapping[str, Any] | None:
    if not isinstance(text, str):
        return None
    try:
        pattern = json.loads(text)
    except ValueError:
        return None
    return pattern if isinstance(pattern, Mapping) else None

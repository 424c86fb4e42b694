"""Desired state: from the rules and the deploy settings to the AWS resources wanted.

Everything here is pure: the facts read from the account come in as ``Facts``, so the same
inputs always give the same resources, with deterministic names and ARNs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trailguard.errors import ConfigError
from trailguard.infra import permissions, policies
from trailguard.infra.coverage import SIGN_IN_REGIONS
from trailguard.infra.grouping import pattern_groups
from trailguard.infra.inventory import TrailInfo
from trailguard.infra.package import HANDLER, LambdaPackage
from trailguard.infra.settings import MANAGED_BY, DeploySettings
from trailguard.rules.export import metric_filter_and_alarm
from trailguard.rules.model import Rule, selects

TRAIL_LOG_GROUP = "/trailguard/cloudtrail"
CONFIG_PARAMETER = "/trailguard/config"
KMS_ALIAS = "alias/trailguard-cloudtrail"
REALTIME_RULE = "trailguard-realtime-"
FORWARD_RULE = "trailguard-forward-"
GLOBAL = "global"
BLOCK_PUBLIC_ACCESS = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


@dataclass(frozen=True)
class Resource:
    """One wanted AWS resource: what it is, where, and the properties that must hold.

    ``spec`` is compared with what AWS reports; ``payload`` is only sent (package bytes,
    secret values); ``retain`` resources survive ``destroy``.
    """

    kind: str
    name: str
    region: str
    spec: Mapping[str, Any]
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    retain: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies it: (kind, region, name)."""
        return (self.kind, self.region, self.name)


@dataclass(frozen=True)
class Facts:
    """What deploy reads from the account before deciding what it wants."""

    account: str
    regions: tuple[str, ...]
    trails: tuple[TrailInfo, ...] = ()


@dataclass(frozen=True)
class HandlerInputs:
    """What the Lambda handler is given: its configuration, package and secrets.

    ``config_text`` goes to SSM for the handler and ``config`` (the same, parsed) decides its
    permissions; ``secrets`` are the values of ``deploy.secrets``, read from the environment.
    """

    config_text: str
    config: Mapping[str, Any] = field(default_factory=dict)
    package: LambdaPackage | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DesiredState:
    """The wanted resources in the order they are created, and notes for the plan."""

    resources: tuple[Resource, ...]
    notes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    home_region: str = "us-east-1"
    account: str = ""
    log_group: tuple[str, str] | None = None


def covered_regions(settings: DeploySettings, enabled: Sequence[str]) -> tuple[str, ...]:
    """The configured regions (or every enabled one), always with home and the sign-in regions."""
    chosen = settings.regions or tuple(enabled)
    return tuple(sorted({*chosen, settings.home_region, *SIGN_IN_REGIONS}))


def realtime_rules(settings: DeploySettings, rules: Sequence[Rule]) -> list[Rule]:
    """The rules that go to EventBridge, by id."""
    chosen = settings.realtime
    if not chosen.enabled:
        return []
    return sorted(
        (
            rule
            for rule in rules
            if rule.eventbridge is not None
            and selects(rule, chosen.rules)
            and not selects(rule, chosen.exclude)
        ),
        key=lambda rule: rule.id,
    )


def metric_filter_rules(settings: DeploySettings, rules: Sequence[Rule]) -> list[Rule]:
    """The rules that become metric filters with alarms, by id."""
    chosen = settings.metric_filters
    return sorted(
        (
            rule
            for rule in rules
            if rule.logs_filter is not None
            and selects(rule, chosen.rules)
            and not selects(rule, chosen.exclude)
        ),
        key=lambda rule: rule.id,
    )


def bucket_name(settings: DeploySettings, account: str) -> str:
    """The trail bucket's name: the configured one, or one unique to the account and region."""
    return settings.trail.bucket or f"trailguard-cloudtrail-{account}-{settings.home_region}"


def digest(value: str) -> str:
    """SHA-256 of a secret or document, so plans compare values without showing them."""
    return hashlib.sha256(value.encode()).hexdigest()


class _Builder:
    """Collects resources in creation order."""

    def __init__(self, settings: DeploySettings, facts: Facts) -> None:
        self.settings = settings
        self.facts = facts
        self.home = settings.home_region
        self.account = facts.account
        self.tags = settings.all_tags
        self.resources: list[Resource] = []
        self.notes: list[str] = []

    def add(self, kind: str, name: str, region: str, spec: Mapping[str, Any], **extra: Any) -> None:
        self.resources.append(Resource(kind, name, region, spec, **extra))

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:aws:{service}:{region or self.home}:{self.account}:{resource}"

    def role(self, name: str, service: str, document: Mapping[str, Any]) -> str:
        trust = policies.assume_role_policy(service, self.account)
        self.add("iam-role", name, GLOBAL, {"trust": trust, "policy": document, "tags": self.tags})
        return f"arn:aws:iam::{self.account}:role/{name}"

    def log_group(self, name: str, days: int) -> str:
        self.add("log-group", name, self.home, {"retention": days, "tags": self.tags})
        return self.arn("logs", f"log-group:{name}:*")


def desired_state(
    settings: DeploySettings, rules: Sequence[Rule], facts: Facts, handler: HandlerInputs
) -> DesiredState:
    """The resources wanted for ``rules`` under ``settings`` in the account ``facts`` describe."""
    build = _Builder(settings, facts)
    log_group = _trail(build)
    build.add(
        "ssm-parameter",
        CONFIG_PARAMETER,
        build.home,
        {"digest": digest(handler.config_text), "tags": build.tags},
        payload={"value": handler.config_text},
    )
    for name, value in sorted(handler.secrets.items()):
        build.add(
            "ssm-parameter",
            name,
            build.home,
            {"digest": digest(value), "tags": build.tags},
            payload={"value": value},
        )
    chosen = realtime_rules(settings, rules)
    if chosen:
        if handler.package is None:
            raise ConfigError("the real-time rules need the Lambda package")
        _realtime(build, chosen, handler.config, handler.package)
    alarmed = metric_filter_rules(settings, rules)
    if alarmed:
        if log_group is None:
            raise ConfigError(
                "metric filters need the trail to send its events to CloudWatch Logs: set "
                "deploy.trail.cloudwatch_logs: true, add a log group to the adopted trail, or "
                "set deploy.metric_filters.rules: []"
            )
        _metric_filters(build, alarmed, log_group)
    return DesiredState(
        tuple(build.resources),
        tuple(build.notes),
        facts.regions,
        build.home,
        build.account,
        log_group,
    )


def _trail(build: _Builder) -> tuple[str, str] | None:
    """The trail: adopt an existing multi-region one, or create ours; returns its log group."""
    wanted = build.settings.trail
    ours = [t for t in build.facts.trails if t.tags.get(MANAGED_BY) == "trailguard"]
    others = [t for t in build.facts.trails if t.multi_region and t.management and t not in ours]
    if not ours and others:
        adopted = min(others, key=lambda t: (not t.organization, not t.logging, t.arn))
        build.notes.append(f"adopting the existing multi-region trail {adopted.arn}")
        if len(others) > 1:
            build.notes.append(
                f"{len(others)} multi-region trails record management events (every copy after "
                "the first is billed); see `trailguard doctor`"
            )
        if not adopted.logging:
            build.notes.append(f"the adopted trail {adopted.arn} is not logging")
        build.add("trail", adopted.name, adopted.home_region, {"adopted": True})
        return adopted.log_group
    if ours and others:
        build.notes.append(
            "other multi-region trails record management events too: "
            + ", ".join(t.arn for t in others)
        )
    account, home, tags = build.account, build.home, build.tags
    bucket = bucket_name(build.settings, account)
    trail = policies.trail_arn(home, account, wanted.name)
    build.add(
        "s3-bucket",
        bucket,
        home,
        {
            "policy": policies.trail_bucket_policy(bucket, account, trail),
            "public_access_block": BLOCK_PUBLIC_ACCESS,
            "tags": tags,
        },
        retain=True,
    )
    spec: dict[str, Any] = {
        "bucket": bucket,
        "multi_region": True,
        "global_events": True,
        "log_file_validation": True,
        "kms_key": None,
        "log_group_arn": None,
        "logs_role_arn": None,
        "logging": True,
        "tags": tags,
    }
    if wanted.kms:
        policy = policies.trail_key_policy(account, trail)
        spec_key = {"policy": policy, "rotation": True, "tags": tags}
        build.add("kms-key", KMS_ALIAS, home, spec_key, retain=True)
        spec["kms_key"] = build.arn("kms", KMS_ALIAS)
    log_group = None
    if wanted.cloudwatch_logs:
        spec["log_group_arn"] = build.log_group(TRAIL_LOG_GROUP, wanted.log_retention_days)
        document = permissions.cloudtrail_logs_policy(spec["log_group_arn"])
        spec["logs_role_arn"] = build.role(
            "trailguard-cloudtrail-logs", "cloudtrail.amazonaws.com", document
        )
        log_group = (home, TRAIL_LOG_GROUP)
    build.add("trail", wanted.name, home, spec)
    return log_group


def _realtime(
    build: _Builder, rules: Sequence[Rule], config: Mapping[str, Any], package: LambdaPackage
) -> None:
    """The function, its role, dead letters and state, and the rules in every covered region."""
    realtime, home, tags = build.settings.realtime, build.home, build.tags
    queue = "trailguard-dlq"
    build.add(
        "sqs-queue",
        queue,
        home,
        {
            "attributes": {"MessageRetentionPeriod": "1209600", "SqsManagedSseEnabled": "true"},
            "tags": tags,
        },
    )
    table = "trailguard-state" if realtime.state_table else None
    if table:
        build.add("dynamodb-table", table, home, {"ttl_attribute": "expires_at", "tags": tags})
    function = realtime.function_name
    document = permissions.handler_policy(
        config,
        account=build.account,
        region=home,
        function=function,
        config_parameter=CONFIG_PARAMETER,
        dead_letter_queue=queue,
        table=table,
    )
    role = build.role("trailguard-handler", "lambda.amazonaws.com", document)
    build.log_group(f"/aws/lambda/{function}", realtime.log_retention_days)
    environment = {"TRAILGUARD_CONFIG": f"ssm:{CONFIG_PARAMETER}"}
    if table:
        environment["TRAILGUARD_TABLE"] = table
    build.add(
        "lambda-function",
        function,
        home,
        {
            "runtime": realtime.runtime,
            "handler": HANDLER,
            "role": role,
            "timeout": realtime.timeout,
            "memory": realtime.memory,
            "architecture": realtime.architecture,
            "environment": environment,
            "dead_letter": build.arn("sqs", queue),
            "code_sha256": package.sha256,
            "tags": tags,
        },
        payload={"zip": package.zip_bytes},
    )
    function_arn = build.arn("lambda", f"function:{function}")
    build.add(
        "lambda-permission",
        "trailguard-events",
        home,
        {
            "function": function,
            "principal": "events.amazonaws.com",
            "source_arn": build.arn("events", f"rule/{REALTIME_RULE}*"),
        },
    )
    groups = pattern_groups(rules)
    home_bus = build.arn("events", "event-bus/default")
    forwarder = build.role(
        "trailguard-events-forwarder",
        "events.amazonaws.com",
        permissions.forwarder_policy(home_bus),
    )
    for region in (home, *(r for r in build.facts.regions if r != home)):
        prefix = REALTIME_RULE if region == home else FORWARD_RULE
        target = (
            {"Id": "trailguard", "Arn": function_arn}
            if region == home
            else {"Id": "trailguard-home", "Arn": home_bus, "RoleArn": forwarder}
        )
        for number, (state, pattern, ids) in enumerate(groups, 1):
            description = ("trailguard: " + ", ".join(ids))[:512]
            spec = {
                "pattern": pattern,
                "state": state,
                "description": description,
                "targets": [target],
                "tags": tags,
            }
            build.add("event-rule", f"{prefix}{number}", region, spec)


def _metric_filters(build: _Builder, rules: Sequence[Rule], log_group: tuple[str, str]) -> None:
    """A metric filter and an alarm per rule, the alarms to one topic with the e-mails."""
    region, group = log_group
    topic = "trailguard-alarms"
    emails = sorted(build.settings.metric_filters.alarm_emails)
    build.add(
        "sns-topic",
        topic,
        region,
        {"subscriptions": [f"email:{email}" for email in emails], "tags": build.tags},
    )
    topic_arn = build.arn("sns", topic, region)
    for rule in rules:
        exported = metric_filter_and_alarm(rule)
        item, alarm = exported["metricFilter"], exported["alarm"]
        build.add(
            "metric-filter",
            item["filterName"],
            region,
            {
                "log_group": group,
                "pattern": item["filterPattern"],
                "transformations": item["metricTransformations"],
            },
        )
        build.add(
            "metric-alarm",
            alarm["AlarmName"],
            region,
            {"alarm": {**alarm, "AlarmActions": [topic_arn]}, "tags": build.tags},
        )

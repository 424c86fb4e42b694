"""Doctor checks of the EventBridge rules for CloudTrail events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trailguard.infra import policies
from trailguard.infra.clients import AwsClients, AwsError, error_code, error_message
from trailguard.infra.coverage import (
    GLOBAL_EVENTS_REGION,
    SIGN_IN_REGIONS,
    reads_read_only,
    receives_global_events,
    receives_sign_ins,
)
from trailguard.infra.findings import (
    CUSTOM_BUS,
    LAMBDA_PERMISSION,
    READ_ONLY_STATE,
    RULES_MISSING,
    Finding,
)
from trailguard.infra.inspection import DEPLOY, Inspection
from trailguard.infra.inventory import DEFAULT_BUS
from trailguard.rules.export import ALL_MANAGEMENT_EVENTS


def check_rules_in_landing_regions(ins: Inspection) -> list[Finding]:
    """Sign-in and global-service rules exist in every region where those events land."""
    wanted = {
        "console sign-in": (receives_sign_ins, SIGN_IN_REGIONS),
        "global-service": (receives_global_events, (GLOBAL_EVENTS_REGION,)),
    }
    missing: dict[str, list[str]] = {}
    for label, (receives, regions) in wanted.items():
        default = [rule for rule in ins.rules if rule.bus == DEFAULT_BUS]
        having = {rule.region for rule in default if rule.pattern and receives(rule.pattern)}
        if having:
            for region in regions:
                if region not in having:
                    missing.setdefault(region, []).append(label)
    return [
        RULES_MISSING.at(
            f"event bus default in {region}",
            region,
            f"{DEPLOY} (it covers every landing region), or copy the rule to {region} with a "
            f"target forwarding to your alerting region's bus: aws events put-rule --region "
            f"{region} --name NAME --event-pattern file://pattern.json",
            detail=f"There are {' and '.join(labels)} rules elsewhere but none here.",
        )
        for region, labels in sorted(missing.items())
    ]


def check_custom_bus_rules(ins: Inspection) -> list[Finding]:
    """CloudTrail rules are on the default bus, unless events are forwarded to theirs."""
    forwarded = {
        str(target.get("Arn"))
        for rule in ins.rules
        if rule.bus == DEFAULT_BUS
        for target in rule.targets
    }
    found: list[Finding] = []
    for rule in ins.rules:
        bus_arn = f"arn:aws:events:{rule.region}:{ins.account}:event-bus/{rule.bus}"
        if rule.bus == DEFAULT_BUS or bus_arn in forwarded:
            continue
        found.append(
            CUSTOM_BUS.at(
                rule.arn,
                rule.region,
                f"re-create it on the default bus (aws events put-rule --region {rule.region} "
                f"--name {rule.name} --event-bus-name default --event-pattern file://pattern.json) "
                f"and move its targets, or forward the events: a default-bus rule with the same "
                f"pattern targeting {bus_arn}",
                detail=f"It is on bus {rule.bus}.",
            )
        )
    return found


def check_lambda_permissions(ins: Inspection) -> list[Finding]:
    """Every Lambda target of a CloudTrail rule lets EventBridge invoke it for that rule."""
    found: list[Finding] = []
    for rule in ins.rules:
        for target in rule.targets:
            arn = str(target.get("Arn", ""))
            if ":lambda:" not in arn:
                continue
            document = _function_policy(ins.clients, arn)
            if policies.allows_invoke(document, "events.amazonaws.com", rule.arn):
                continue
            parts = arn.split(":")
            found.append(
                LAMBDA_PERMISSION.at(
                    arn,
                    parts[3],
                    f"aws lambda add-permission --region {parts[3]} --function-name "
                    f"{':'.join(parts[6:])} --statement-id events-{rule.name} --action "
                    "lambda:InvokeFunction --principal events.amazonaws.com --source-arn "
                    f"{rule.arn}",
                    detail=f"Rule {rule.arn} targets it.",
                )
            )
    return found


def _function_policy(clients: AwsClients, arn: str) -> Mapping[str, Any]:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    parts = arn.split(":")
    try:
        text = clients.lambda_(parts[3]).get_policy(FunctionName=arn)["Policy"]
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return {}
        raise AwsError(error_code(error), error_message(error), f"function {arn}") from None
    document = json.loads(text)
    return document if isinstance(document, Mapping) else {}


def check_read_only_state(ins: Inspection) -> list[Finding]:
    """Rules whose patterns can match read-only calls are in the state that delivers them."""
    return [
        READ_ONLY_STATE.at(
            rule.arn,
            rule.region,
            f"aws events put-rule --region {rule.region} --name {rule.name} --event-pattern "
            f'"$(aws events describe-rule --region {rule.region} --name {rule.name} --query '
            f'EventPattern --output text)" --state {ALL_MANAGEMENT_EVENTS}',
            detail=f"Its state is {rule.state}.",
        )
        for rule in ins.rules
        if rule.bus == DEFAULT_BUS
        and rule.state == "ENABLED"
        and rule.pattern
        and reads_read_only(rule.pattern)
    ]

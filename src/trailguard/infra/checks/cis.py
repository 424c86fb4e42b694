"""Doctor checks of the CIS metric filters, their alarms and the alarms' SNS topics.

Security Hub's CloudWatch.1-14 controls pass only with exactly the CIS pattern (whitespace
aside): https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from trailguard.infra.clients import AwsClients, AwsError, error_code, error_message
from trailguard.infra.findings import (
    ALARM_NO_ACTIONS,
    CIS_ALARM_MISSING,
    CIS_MISSING,
    CIS_NOT_EXACT,
    NO_LOG_GROUP,
    TOPIC_UNCONFIRMED,
    Finding,
)
from trailguard.infra.inspection import DEPLOY, Inspection, metric_of
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS

_SIMILAR = 0.5
"""Share of terms a filter must have in common with a CIS pattern to count as a near miss."""


def check_cis_metric_filters(ins: Inspection) -> list[Finding]:
    """Every CIS control has a metric filter with exactly its pattern on a trail log group."""
    if not ins.trails:
        return []
    if not ins.log_groups:
        trail = min(ins.trails, key=lambda t: (not t.multi_region, t.arn))
        return [
            NO_LOG_GROUP.at(
                trail.arn,
                trail.home_region,
                f"{DEPLOY} (deploy.trail.cloudwatch_logs: true), or: aws cloudtrail update-trail "
                f"--region {trail.home_region} --name {trail.name} "
                "--cloud-watch-logs-log-group-arn LOG_GROUP_ARN --cloud-watch-logs-role-arn "
                "ROLE_ARN",
            )
        ]
    region, group = ins.log_groups[0]
    filters = ins.metric_filters
    found: list[Finding] = []
    for control, pattern in CIS_CLOUDTRAIL_FILTERS.items():
        if any(_squeeze(item.get("filterPattern", "")) == _squeeze(pattern) for item in filters):
            continue
        near = max(filters, key=lambda item: _similarity(item, pattern), default=None)
        if near is not None and _similarity(near, pattern) >= _SIMILAR:
            metric, namespace = metric_of(near)
            theirs, ours = _terms(near.get("filterPattern", "")), _terms(pattern)
            found.append(
                CIS_NOT_EXACT.at(
                    f"metric filter {near['filterName']} on {near['logGroupName']}",
                    str(near["region"]),
                    _put_filter(near["region"], near["logGroupName"], near["filterName"], pattern)
                    + f" --metric-transformations metricName={metric},"
                    f"metricNamespace={namespace},metricValue=1",
                    detail=f"{control}: missing {sorted(ours - theirs) or 'nothing'}, extra "
                    f"{sorted(theirs - ours) or 'nothing'} (or different quoting).",
                )
            )
            continue
        name = f"CIS-{control}"
        found.append(
            CIS_MISSING.at(
                f"{control} on log group {group}",
                region,
                f"{DEPLOY}, or: {_put_filter(region, group, name, pattern)} "
                f"--metric-transformations metricName={name},metricNamespace=CISBenchmark,"
                "metricValue=1",
            )
        )
    return found


def _put_filter(region: str, group: str, name: str, pattern: str) -> str:
    return (
        f"aws logs put-metric-filter --region {region} --log-group-name {group} "
        f"--filter-name {name} --filter-pattern '{pattern}'"
    )


def check_cis_alarms(ins: Inspection) -> list[Finding]:
    """Every exact CIS metric filter's metric has an alarm."""
    exact = {_squeeze(pattern) for pattern in CIS_CLOUDTRAIL_FILTERS.values()}
    found: list[Finding] = []
    for item, alarms in ins.filter_alarms:
        if alarms or _squeeze(item.get("filterPattern", "")) not in exact:
            continue
        metric, namespace = metric_of(item)
        found.append(
            CIS_ALARM_MISSING.at(
                f"metric {namespace}/{metric}",
                str(item["region"]),
                f"{DEPLOY}, or: aws cloudwatch put-metric-alarm --region {item['region']} "
                f"--alarm-name {metric} --metric-name {metric} --namespace {namespace} "
                "--statistic Sum --period 300 --evaluation-periods 1 --threshold 1 "
                "--comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data "
                "notBreaching --alarm-actions SNS_TOPIC_ARN",
                detail=f"Metric filter {item['filterName']} publishes it.",
            )
        )
    return found


def check_alarm_actions(ins: Inspection) -> list[Finding]:
    """Every alarm on a trail metric has an enabled action."""
    found: list[Finding] = []
    for item, alarms in ins.filter_alarms:
        for alarm in alarms:
            if alarm.get("ActionsEnabled", True) and alarm.get("AlarmActions"):
                continue
            name = alarm["AlarmName"]
            fix = (
                f"aws cloudwatch enable-alarm-actions --region {item['region']} "
                f"--alarm-names {name}"
                if alarm.get("AlarmActions")
                else f"{DEPLOY}, or add an SNS topic: aws cloudwatch put-metric-alarm --region "
                f"{item['region']} --alarm-name {name} ... --alarm-actions SNS_TOPIC_ARN (same "
                "settings as now)"
            )
            found.append(ALARM_NO_ACTIONS.at(str(alarm.get("AlarmArn", name)), item["region"], fix))
    return found


def check_topic_subscriptions(ins: Inspection) -> list[Finding]:
    """Every SNS topic that alarms or CloudTrail rules send to has a confirmed subscription."""
    topics = {
        str(action)
        for _, alarms in ins.filter_alarms
        for alarm in alarms
        for action in alarm.get("AlarmActions", [])
        if str(action).startswith("arn:aws:sns:")
    }
    topics |= {
        str(target["Arn"])
        for rule in ins.rules
        for target in rule.targets
        if str(target.get("Arn", "")).startswith("arn:aws:sns:")
    }
    found: list[Finding] = []
    for topic in sorted(topics):
        region = topic.split(":")[3]
        confirmed, detail = _confirmed(ins.clients, topic)
        if not confirmed:
            found.append(
                TOPIC_UNCONFIRMED.at(
                    topic,
                    region,
                    f"aws sns subscribe --region {region} --topic-arn {topic} --protocol email "
                    "--notification-endpoint YOU@EXAMPLE.COM, then open the confirmation e-mail "
                    "(or list the e-mail addresses in deploy.metric_filters.alarm_emails)",
                    detail=detail,
                )
            )
    return found


def _confirmed(clients: AwsClients, topic: str) -> tuple[bool, str]:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    sns = clients.sns(topic.split(":")[3])
    try:
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
        arns = [item["SubscriptionArn"] for page in pages for item in page["Subscriptions"]]
    except ClientError as error:
        if error_code(error) == "NotFound":
            return False, "The topic does not exist."
        raise AwsError(error_code(error), error_message(error), f"topic {topic}") from None
    if any(arn not in {"PendingConfirmation", "Deleted"} for arn in arns):
        return True, ""
    pending = arns.count("PendingConfirmation")
    return False, f"It has {len(arns)} subscriptions, {pending} pending confirmation."


def _squeeze(pattern: str) -> str:
    """A filter pattern without whitespace: Security Hub's comparison tolerates spacing."""
    return re.sub(r"\s+", "", pattern)


def _terms(pattern: str) -> set[str]:
    """The comparisons in a JSON filter pattern (``$.eventName=CreateTrail``), quotes dropped."""
    parts = re.split(r"&&|\|\||[(){}]", _squeeze(pattern))
    return {part.replace('"', "") for part in parts if part}


def _similarity(item: Mapping[str, Any], pattern: str) -> float:
    theirs, ours = _terms(str(item.get("filterPattern", ""))), _terms(pattern)
    return len(theirs & ours) / len(theirs | ours) if theirs | ours else 0.0

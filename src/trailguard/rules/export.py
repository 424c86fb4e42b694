"""Rules as native AWS artefacts: EventBridge rules, metric filters and alarms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from trailguard.athena import RulesSql, TableLayout, render_ddl, rules_sql
from trailguard.rules.model import Rule

ATHENA_SQL = "athena-sql"
EXPORT_FORMATS = ("json", "eventbridge", "metric-filters", ATHENA_SQL)
METRIC_NAMESPACE = "trailguard"
NAME_PREFIX = "trailguard-"
READ_ONLY_PREFIXES = ("Get", "List", "Describe")
# EventBridge delivers read-only (Get/List/Describe) management events only to rules in this state:
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def export_rules(rules: Sequence[Rule], export_format: str) -> list[dict[str, Any]]:
    """The rules in one of the JSON ``EXPORT_FORMATS``, as JSON-ready dicts (not athena-sql)."""
    if export_format == ATHENA_SQL:
        raise ValueError("athena-sql is text: use athena_script()")
    if export_format == "eventbridge":
        return [eventbridge_rule(rule) for rule in rules if rule.eventbridge is not None]
    if export_format == "metric-filters":
        return [metric_filter_and_alarm(rule) for rule in rules if rule.logs_filter is not None]
    return [rule_document(rule) for rule in rules]


def needs_read_only_events(pattern: Mapping[str, Any]) -> bool:
    """Whether a pattern can match read-only calls, which need the all-management-events state.

    True unless the pattern lists exact event names none of which is a Get/List/Describe call.
    """
    detail = pattern.get("detail")
    names = detail.get("eventName") if isinstance(detail, Mapping) else None
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return True
    return any(name.startswith(READ_ONLY_PREFIXES) for name in names)


def eventbridge_rule(rule: Rule) -> dict[str, Any]:
    """PutRule's parameters for a rule on the default bus."""
    assert rule.eventbridge is not None
    return {
        "Name": NAME_PREFIX + rule.id,
        "EventBusName": "default",
        "EventPattern": orjson.dumps(rule.eventbridge).decode(),
        "State": ALL_MANAGEMENT_EVENTS if needs_read_only_events(rule.eventbridge) else "ENABLED",
        "Description": rule.title[:512],
    }


def metric_name(rule: Rule) -> str:
    """The metric a rule's filter publishes: its id in CamelCase (``RootAccountUsage``)."""
    return "".join(part.capitalize() for part in rule.id.split("-"))


def metric_filter_and_alarm(rule: Rule) -> dict[str, Any]:
    """PutMetricFilter and PutMetricAlarm parameters; the CIS alarm unless the rule has a threshold.

    The CIS remediation: Sum over 300 seconds, threshold 1, one evaluation period.
    """
    assert rule.logs_filter is not None
    threshold = rule.threshold
    period = 300 if threshold is None else max(60, threshold.window - threshold.window % 60)
    return {
        "metricFilter": {
            "filterName": NAME_PREFIX + rule.id,
            "filterPattern": rule.logs_filter,
            "metricTransformations": [
                {
                    "metricName": metric_name(rule),
                    "metricNamespace": METRIC_NAMESPACE,
                    "metricValue": "1",
                }
            ],
        },
        "alarm": {
            "AlarmName": NAME_PREFIX + rule.id,
            "AlarmDescription": rule.title,
            "MetricName": metric_name(rule),
            "Namespace": METRIC_NAMESPACE,
            "Statistic": "Sum",
            "Period": period,
            "EvaluationPeriods": 1,
            "Threshold": float(threshold.count if threshold else 1),
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    }


def rule_document(rule: Rule) -> dict[str, Any]:
    """Everything about a rule but its examples."""
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": str(rule.severity),
        "description": rule.description,
        "runbook": rule.runbook,
        "tags": list(rule.tags),
        "eventbridge": rule.eventbridge,
        "logs_filter": rule.logs_filter,
        "threshold": _plain(rule.threshold),
        "dedupe": _plain(rule.dedupe),
    }


def _plain(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        key: list(item) if isinstance(item, Iterable) and not isinstance(item, str) else item
        for key, item in vars(value).items()
    }


def athena_script(rules: Sequence[Rule], layout: TableLayout, *, ddl: bool) -> RulesSql:
    """Athena SQL for the rules (``RulesSql.render`` prints it), with the DDL when asked."""
    translated = rules_sql(rules, layout.table)
    translated.ddl = render_ddl(layout) if ddl else None
    return translated

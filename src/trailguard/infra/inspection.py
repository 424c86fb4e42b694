"""An account as the doctor sees it: the clients, and each listing read once for every check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from trailguard.infra.clients import AwsClients, aws_errors
from trailguard.infra.coverage import SIGN_IN_REGIONS, is_cloudtrail
from trailguard.infra.inventory import RuleInfo, TrailInfo, list_buses, list_rules
from trailguard.infra.inventory import list_trails as read_trails

DEPLOY = "trailguard deploy apply"
"""The fix that builds everything right, named first in many findings."""


class Inspection:
    """An account seen through its clients; each listing is read once and shared by the checks."""

    def __init__(self, clients: AwsClients, regions: Sequence[str]) -> None:
        self.clients = clients
        self.regions = tuple(dict.fromkeys(regions))
        self.rule_regions = tuple(sorted({*self.regions, *SIGN_IN_REGIONS}))

    @cached_property
    def account(self) -> str:
        """The account id."""
        return self.clients.account_id()

    @cached_property
    def trails(self) -> list[TrailInfo]:
        """Every trail visible from the inspected regions."""
        return read_trails(self.clients, self.regions)

    @cached_property
    def rules(self) -> list[RuleInfo]:
        """Enabled CloudTrail rules on every bus of the inspected and sign-in regions."""
        found: list[RuleInfo] = []
        for region in self.rule_regions:
            for bus in list_buses(self.clients, region):
                found.extend(
                    rule
                    for rule in list_rules(self.clients, region, bus)
                    if rule.state != "DISABLED" and rule.pattern and is_cloudtrail(rule.pattern)
                )
        return found

    @cached_property
    def metric_filters(self) -> list[Mapping[str, Any]]:
        """Metric filters on the trails' log groups, each with ``region`` added."""
        found: list[Mapping[str, Any]] = []
        for region, group in self.log_groups:
            with aws_errors(f"log group {group} in {region}"):
                pages = self.clients.logs(region).get_paginator("describe_metric_filters")
                for page in pages.paginate(logGroupName=group):
                    found.extend({**item, "region": region} for item in page["metricFilters"])
        return found

    @cached_property
    def filter_alarms(self) -> list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
        """Each metric filter on a trail log group with the alarms on its metric."""
        alarms: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
        for region in sorted({str(item["region"]) for item in self.metric_filters}):
            with aws_errors(f"cloudwatch:DescribeAlarms in {region}"):
                pages = self.clients.cloudwatch(region).get_paginator("describe_alarms")
                for page in pages.paginate(AlarmTypes=["MetricAlarm"]):
                    for alarm in page["MetricAlarms"]:
                        key = (region, alarm.get("MetricName", ""), alarm.get("Namespace", ""))
                        alarms.setdefault(key, []).append(dict(alarm))
        return [
            (item, alarms.get((str(item["region"]), *metric_of(item)), []))
            for item in self.metric_filters
        ]

    @cached_property
    def log_groups(self) -> list[tuple[str, str]]:
        """(region, name) of each trail log group, multi-region trails' first."""
        ordered = sorted(self.trails, key=lambda trail: not trail.multi_region)
        groups = (trail.log_group for trail in ordered)
        return list(dict.fromkeys(group for group in groups if group))


def metric_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """(metric name, namespace) a metric filter publishes to."""
    transformation = (item.get("metricTransformations") or [{}])[0]
    return str(transformation.get("metricName", "")), str(transformation.get("metricNamespace", ""))

"""CloudWatch alarms on the metric filters' metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import Current, Reconciler, merged_tags, tag_list, tag_map


class AlarmReconciler(Reconciler):
    """A metric alarm: its PutMetricAlarm parameters and tags."""

    kind = "metric-alarm"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The alarm's parameters (those the spec sets) and tags."""
        cloudwatch = clients.cloudwatch(resource.region)
        alarms = cloudwatch.describe_alarms(AlarmNames=[resource.name], AlarmTypes=["MetricAlarm"])
        found = next(iter(alarms["MetricAlarms"]), None)
        if found is None:
            return None
        tags = cloudwatch.list_tags_for_resource(ResourceARN=found["AlarmArn"]).get("Tags", [])
        wanted = resource.spec.get("alarm", {})
        return {
            "alarm": {key: found.get(key) for key in wanted},
            "tags": tag_map(tags),
            "arn": found["AlarmArn"],
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Put the alarm with its tags."""
        clients.cloudwatch(resource.region).put_metric_alarm(
            **self._alarm(resource),
            Tags=tag_list(resource.spec["tags"]),
        )

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Put the alarm again, tag."""
        cloudwatch = clients.cloudwatch(resource.region)
        if "alarm" in changed:
            cloudwatch.put_metric_alarm(**self._alarm(resource))
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            cloudwatch.tag_resource(ResourceARN=current["arn"], Tags=tag_list(tags))

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the alarm."""
        clients.cloudwatch(resource.region).delete_alarms(AlarmNames=[resource.name])

    def discover(
        self,
        clients: AwsClients,
        region: str,
        spec: Mapping[str, Any],  # noqa: ARG002 - the Reconciler interface
    ) -> list[str]:
        """Alarms named ``trailguard-*`` in ``region``."""
        pages = clients.cloudwatch(region).get_paginator("describe_alarms")
        return sorted(
            str(alarm["AlarmName"])
            for page in pages.paginate(AlarmNamePrefix="trailguard-", AlarmTypes=["MetricAlarm"])
            for alarm in page["MetricAlarms"]
        )

    @staticmethod
    def _alarm(resource: Resource) -> dict[str, Any]:
        return dict(resource.spec["alarm"])

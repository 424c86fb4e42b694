"""CloudWatch Logs: log groups with retention, and metric filters on the trail's group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import Current, Reconciler, call_or_none, merged_tags

_TRANSFORMATION_KEYS = ("metricName", "metricNamespace", "metricValue", "defaultValue")


class LogGroupReconciler(Reconciler):
    """A log group with a retention period and tags."""

    kind = "log-group"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The group's retention and tags."""
        logs = clients.logs(resource.region)
        groups = logs.describe_log_groups(logGroupNamePrefix=resource.name)["logGroups"]
        found = next((g for g in groups if g.get("logGroupName") == resource.name), None)
        if found is None:
            return None
        tags = logs.list_tags_log_group(logGroupName=resource.name).get("tags", {})
        return {"retention": found.get("retentionInDays"), "tags": dict(tags)}

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the group with its tags and retention."""
        logs = clients.logs(resource.region)
        logs.create_log_group(logGroupName=resource.name, tags=dict(resource.spec["tags"]))
        logs.put_retention_policy(
            logGroupName=resource.name, retentionInDays=resource.spec["retention"]
        )

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Set the retention, tag."""
        logs = clients.logs(resource.region)
        if "retention" in changed:
            logs.put_retention_policy(
                logGroupName=resource.name, retentionInDays=resource.spec["retention"]
            )
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            logs.tag_log_group(logGroupName=resource.name, tags=tags)

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the group and its events."""
        clients.logs(resource.region).delete_log_group(logGroupName=resource.name)


class MetricFilterReconciler(Reconciler):
    """A metric filter; filters take no tags, so ours are the ones named ``trailguard-*``."""

    kind = "metric-filter"
    taggable = False

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The filter's pattern and metric transformations."""
        logs = clients.logs(resource.region)
        group = resource.spec["log_group"]
        found = call_or_none(
            logs.describe_metric_filters,
            ["ResourceNotFoundException"],
            logGroupName=group,
            filterNamePrefix=resource.name,
        )
        items = [
            item
            for item in (found["metricFilters"] if found else [])
            if item["filterName"] == resource.name
        ]
        if not items:
            return None
        return {
            "log_group": group,
            "pattern": items[0].get("filterPattern", ""),
            "transformations": [_transformation(t) for t in items[0]["metricTransformations"]],
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Put the filter."""
        clients.logs(resource.region).put_metric_filter(
            logGroupName=resource.spec["log_group"],
            filterName=resource.name,
            filterPattern=resource.spec["pattern"],
            metricTransformations=resource.spec["transformations"],
        )

    def update(
        self,
        clients: AwsClients,
        resource: Resource,
        current: Current,  # noqa: ARG002 - the Reconciler interface
        changed: Sequence[str],  # noqa: ARG002
    ) -> None:
        """Replace the filter (moto 5.2.1 adds a second one where AWS would replace it)."""
        self.delete(clients, resource)
        self.create(clients, resource)

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the filter."""
        clients.logs(resource.region).delete_metric_filter(
            logGroupName=resource.spec["log_group"], filterName=resource.name
        )

    def discover(
        self,
        clients: AwsClients,
        region: str,
        spec: Mapping[str, Any],
    ) -> list[str]:
        """Filters named ``trailguard-*`` on the trail's log group."""
        found = call_or_none(
            clients.logs(region).describe_metric_filters,
            ["ResourceNotFoundException"],
            logGroupName=spec["log_group"],
            filterNamePrefix="trailguard-",
        )
        return sorted({item["filterName"] for item in (found["metricFilters"] if found else [])})


def _transformation(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in _TRANSFORMATION_KEYS if key in item}

"""EventBridge rules on the default bus, with their targets."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import (
    Current,
    Reconciler,
    call_or_none,
    merged_tags,
    tag_list,
    tag_map,
)

BUS = "default"
_TARGET_KEYS = ("Id", "Arn", "RoleArn")


class RuleReconciler(Reconciler):
    """A rule: pattern, state, description, targets and tags."""

    kind = "event-rule"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The rule's pattern (parsed), state, description, targets and tags."""
        events = clients.events(resource.region)
        found = call_or_none(
            events.describe_rule,
            ["ResourceNotFoundException"],
            Name=resource.name,
            EventBusName=BUS,
        )
        if found is None:
            return None
        targets = events.list_targets_by_rule(Rule=resource.name, EventBusName=BUS)["Targets"]
        tags = events.list_tags_for_resource(ResourceARN=found["Arn"]).get("Tags", [])
        return {
            "pattern": json.loads(found.get("EventPattern") or "null"),
            "state": found.get("State"),
            "description": found.get("Description", ""),
            "targets": [_target(target) for target in targets],
            "tags": tag_map(tags),
            "arn": found["Arn"],
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Put the rule with its tags, then its targets."""
        arn = clients.events(resource.region).put_rule(
            Tags=tag_list(resource.spec["tags"]),
            **self._rule(resource),
        )["RuleArn"]
        self.update(clients, resource, {"targets": [], "arn": arn}, ["targets"])

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Put the rule, replace the targets, tag."""
        events = clients.events(resource.region)
        if set(changed) & {"pattern", "state", "description"}:
            events.put_rule(**self._rule(resource))
        if "targets" in changed:
            wanted = resource.spec["targets"]
            stale = [t["Id"] for t in current.get("targets", []) if t not in wanted]
            if stale:
                events.remove_targets(Rule=resource.name, EventBusName=BUS, Ids=stale)
            events.put_targets(Rule=resource.name, EventBusName=BUS, Targets=wanted)
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            events.tag_resource(ResourceARN=current["arn"], Tags=tag_list(tags))

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Remove the targets, delete the rule."""
        events = clients.events(resource.region)
        targets = events.list_targets_by_rule(Rule=resource.name, EventBusName=BUS)["Targets"]
        if targets:
            ids = [target["Id"] for target in targets]
            events.remove_targets(Rule=resource.name, EventBusName=BUS, Ids=ids)
        events.delete_rule(Name=resource.name, EventBusName=BUS)

    def discover(
        self,
        clients: AwsClients,
        region: str,
        spec: Mapping[str, Any],  # noqa: ARG002 - the Reconciler interface
    ) -> list[str]:
        """Rules named ``trailguard-*`` on the default bus of ``region``."""
        found = clients.events(region).list_rules(NamePrefix="trailguard-", EventBusName=BUS)
        return sorted(str(rule["Name"]) for rule in found.get("Rules", []))

    @staticmethod
    def _rule(resource: Resource) -> dict[str, Any]:
        return {
            "Name": resource.name,
            "EventBusName": BUS,
            "EventPattern": json.dumps(resource.spec["pattern"], separators=(",", ":")),
            "State": resource.spec["state"],
            "Description": resource.spec["description"],
        }


def _target(target: Mapping[str, Any]) -> dict[str, Any]:
    return {key: target[key] for key in _TARGET_KEYS if key in target}

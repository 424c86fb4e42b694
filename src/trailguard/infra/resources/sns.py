"""The alarms' SNS topic and its e-mail subscriptions."""

from __future__ import annotations

from collections.abc import Sequence

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


class TopicReconciler(Reconciler):
    """A topic with ``protocol:endpoint`` subscriptions (pending ones count as present)."""

    kind = "sns-topic"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The topic's subscriptions and tags."""
        sns, arn = clients.sns(resource.region), self.arn(clients, resource)
        if call_or_none(sns.get_topic_attributes, ["NotFound"], TopicArn=arn) is None:
            return None
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn)
        subscriptions = [item for page in pages for item in page["Subscriptions"]]
        tags = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
        return {
            "subscriptions": sorted(f"{s['Protocol']}:{s['Endpoint']}" for s in subscriptions),
            "tags": tag_map(tags),
            "subscription_arns": {
                f"{s['Protocol']}:{s['Endpoint']}": s["SubscriptionArn"] for s in subscriptions
            },
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the topic with its tags and subscribe the endpoints."""
        clients.sns(resource.region).create_topic(
            Name=resource.name,
            Tags=tag_list(resource.spec["tags"]),
        )
        self.update(clients, resource, {"subscriptions": []}, ["subscriptions"])

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Subscribe new endpoints, unsubscribe confirmed ones no longer wanted, tag."""
        sns, arn = clients.sns(resource.region), self.arn(clients, resource)
        if "subscriptions" in changed:
            wanted = set(resource.spec["subscriptions"])
            for endpoint in sorted(wanted - set(current.get("subscriptions", []))):
                protocol, _, address = endpoint.partition(":")
                sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=address)
            for endpoint, subscription in current.get("subscription_arns", {}).items():
                # A pending subscription has no ARN yet and cannot be removed; it expires.
                if endpoint not in wanted and subscription.startswith("arn:"):
                    sns.unsubscribe(SubscriptionArn=subscription)
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            sns.tag_resource(ResourceArn=arn, Tags=tag_list(tags))

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the topic and its subscriptions."""
        clients.sns(resource.region).delete_topic(TopicArn=self.arn(clients, resource))

    @staticmethod
    def arn(clients: AwsClients, resource: Resource) -> str:
        """The topic's ARN."""
        return f"arn:aws:sns:{resource.region}:{clients.account_id()}:{resource.name}"

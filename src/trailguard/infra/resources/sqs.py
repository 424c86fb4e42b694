"""The handler's dead-letter queue."""

from __future__ import annotations

from collections.abc import Sequence

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import Current, Reconciler, call_or_none, merged_tags

# The query protocol and the JSON protocol name the error differently.
_MISSING = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


class QueueReconciler(Reconciler):
    """An SQS queue with attributes and tags."""

    kind = "sqs-queue"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The wanted attributes as set, and the tags."""
        sqs = clients.sqs(resource.region)
        found = call_or_none(sqs.get_queue_url, _MISSING, QueueName=resource.name)
        if found is None:
            return None
        url = found["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        wanted = resource.spec.get("attributes", {})
        return {
            "attributes": {key: attributes.get(key) for key in wanted},
            "tags": dict(sqs.list_queue_tags(QueueUrl=url).get("Tags", {})),
            "url": url,
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the queue."""
        clients.sqs(resource.region).create_queue(
            QueueName=resource.name,
            Attributes=dict(resource.spec["attributes"]),
            tags=dict(resource.spec["tags"]),
        )

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Set the attributes, tag."""
        sqs = clients.sqs(resource.region)
        if "attributes" in changed:
            sqs.set_queue_attributes(
                QueueUrl=current["url"], Attributes=dict(resource.spec["attributes"])
            )
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            sqs.tag_queue(QueueUrl=current["url"], Tags=tags)

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the queue and any dead letters in it."""
        sqs = clients.sqs(resource.region)
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=resource.name)["QueueUrl"])

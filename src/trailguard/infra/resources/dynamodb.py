"""The handler's delivery-state table (see ``trailguard.store.dynamodb``)."""

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


class TableReconciler(Reconciler):
    """A pay-per-request table keyed ``pk``/``sk`` with TTL on ``expires_at``."""

    kind = "dynamodb-table"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The TTL attribute and the tags."""
        dynamodb = clients.dynamodb(resource.region)
        found = call_or_none(
            dynamodb.describe_table, ["ResourceNotFoundException"], TableName=resource.name
        )
        if found is None:
            return None
        arn = found["Table"]["TableArn"]
        ttl = dynamodb.describe_time_to_live(TableName=resource.name)["TimeToLiveDescription"]
        enabled = ttl.get("TimeToLiveStatus") in {"ENABLED", "ENABLING"}
        tags = dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])
        return {
            "ttl_attribute": ttl.get("AttributeName") if enabled else None,
            "tags": tag_map(tags),
            "arn": arn,
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the table, wait until it is active, turn TTL on."""
        dynamodb = clients.dynamodb(resource.region)
        dynamodb.create_table(
            TableName=resource.name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
            Tags=tag_list(resource.spec["tags"]),
        )
        dynamodb.get_waiter("table_exists").wait(TableName=resource.name)
        self.update(clients, resource, {}, ["ttl_attribute"])

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Turn TTL on, tag."""
        dynamodb = clients.dynamodb(resource.region)
        if "ttl_attribute" in changed:
            dynamodb.update_time_to_live(
                TableName=resource.name,
                TimeToLiveSpecification={
                    "Enabled": True,
                    "AttributeName": resource.spec["ttl_attribute"],
                },
            )
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            dynamodb.tag_resource(ResourceArn=current["arn"], Tags=tag_list(tags))

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the table and the delivery state in it."""
        clients.dynamodb(resource.region).delete_table(TableName=resource.name)

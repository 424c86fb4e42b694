"""The trail's S3 bucket: made with the documented policy, kept (log files and all) on destroy."""

from __future__ import annotations

import json
from collections.abc import Sequence

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import (
    Current,
    Reconciler,
    call_or_none,
    merged_tags,
    retained_tags,
    tag_list,
    tag_map,
)


class BucketReconciler(Reconciler):
    """An S3 bucket with a policy, public access blocked, and tags."""

    kind = "s3-bucket"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The bucket's policy, public access block and tags."""
        from botocore.exceptions import ClientError  # noqa: PLC0415

        s3 = clients.s3(resource.region)
        try:
            s3.head_bucket(Bucket=resource.name)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                return None
            if status == 403:
                return {"tags": {}, "owner": "another account"}
            raise
        policy = call_or_none(s3.get_bucket_policy, ["NoSuchBucketPolicy"], Bucket=resource.name)
        tags = call_or_none(s3.get_bucket_tagging, ["NoSuchTagSet"], Bucket=resource.name)
        block = call_or_none(
            s3.get_public_access_block,
            ["NoSuchPublicAccessBlockConfiguration"],
            Bucket=resource.name,
        )
        return {
            "policy": json.loads(policy["Policy"]) if policy else None,
            "public_access_block": dict(block["PublicAccessBlockConfiguration"]) if block else None,
            "tags": tag_map(tags["TagSet"]) if tags else {},
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the bucket, block public access, set the policy and tags."""
        s3 = clients.s3(resource.region)
        if resource.region == "us-east-1":
            s3.create_bucket(Bucket=resource.name)
        else:
            s3.create_bucket(
                Bucket=resource.name,
                CreateBucketConfiguration={"LocationConstraint": resource.region},  # type: ignore[typeddict-item]
            )
        current: Current = {"tags": {}}
        self.update(clients, resource, current, ["public_access_block", "policy", "tags"])

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Put the changed policy, public access block or tags."""
        s3 = clients.s3(resource.region)
        if "public_access_block" in changed:
            s3.put_public_access_block(
                Bucket=resource.name,
                PublicAccessBlockConfiguration=resource.spec["public_access_block"],
            )
        if "policy" in changed:
            s3.put_bucket_policy(Bucket=resource.name, Policy=json.dumps(resource.spec["policy"]))
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            s3.put_bucket_tagging(Bucket=resource.name, Tagging={"TagSet": tag_list(tags)})

    def retain(self, clients: AwsClients, resource: Resource, current: Current) -> None:
        """Keep the bucket and every log file in it; only its tags change."""
        tags = retained_tags(current.get("tags") or {})
        clients.s3(resource.region).put_bucket_tagging(
            Bucket=resource.name,
            Tagging={"TagSet": tag_list(tags)},
        )

"""The KMS key that encrypts log files (SSE-KMS), found by its alias; kept on destroy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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

KMS_TAG = {"key": "TagKey", "value": "TagValue"}


class KeyReconciler(Reconciler):
    """A customer managed key with the CloudTrail key policy, rotation on, and an alias."""

    kind = "kms-key"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The key behind the alias: its policy, rotation and tags."""
        kms = clients.kms(resource.region)
        found = call_or_none(kms.describe_key, ["NotFoundException"], KeyId=resource.name)
        if found is None:
            return None
        key = found["KeyMetadata"]["KeyId"]
        # GetKeyPolicy needs PolicyName (moto 5.2.1 has no default for it).
        policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
        tags = kms.list_resource_tags(KeyId=key).get("Tags", [])
        return {
            "key_id": key,
            "policy": json.loads(policy),
            "rotation": bool(kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]),
            "tags": tag_map(tags, **KMS_TAG),
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the key with its policy and tags, name it, turn rotation on."""
        kms = clients.kms(resource.region)
        key = kms.create_key(
            Policy=json.dumps(resource.spec["policy"]),
            Description="trailguard: encrypts CloudTrail log files",
            Tags=tag_list(resource.spec["tags"], **KMS_TAG),
        )["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=resource.name, TargetKeyId=key)
        kms.enable_key_rotation(KeyId=key)

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Put the policy, turn rotation on, tag."""
        kms, key = clients.kms(resource.region), current["key_id"]
        if "policy" in changed:
            kms.put_key_policy(
                KeyId=key, PolicyName="default", Policy=json.dumps(resource.spec["policy"])
            )
        if "rotation" in changed:
            kms.enable_key_rotation(KeyId=key)
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            kms.tag_resource(KeyId=key, Tags=tag_list(tags, **KMS_TAG))
            _untag(kms, key, [k for k in current["tags"] if k not in tags])

    def retain(self, clients: AwsClients, resource: Resource, current: Current) -> None:
        """Keep the key, or the log files it encrypted could never be read again."""
        kms, key = clients.kms(resource.region), current["key_id"]
        tags = retained_tags(current.get("tags") or {})
        _untag(kms, key, [k for k in current["tags"] if k not in tags])
        kms.tag_resource(KeyId=key, Tags=tag_list(tags, **KMS_TAG))


def _untag(kms: Any, key: str, names: list[str]) -> None:
    if names:
        kms.untag_resource(KeyId=key, TagKeys=names)

"""IAM roles with one inline policy each: the handler's, CloudTrail's and the forwarder's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

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

POLICY_NAME = "trailguard"


class RoleReconciler(Reconciler):
    """A role: its trust policy, its inline ``trailguard`` policy and tags."""

    kind = "iam-role"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The role's trust policy, inline policy and tags."""
        iam = clients.iam()
        found = call_or_none(iam.get_role, ["NoSuchEntity"], RoleName=resource.name)
        if found is None:
            return None
        role = found["Role"]
        inline = call_or_none(
            iam.get_role_policy, ["NoSuchEntity"], RoleName=resource.name, PolicyName=POLICY_NAME
        )
        return {
            "trust": _document(role.get("AssumeRolePolicyDocument")),
            "policy": _document(inline["PolicyDocument"]) if inline else None,
            "tags": tag_map(role.get("Tags", [])),
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the role and put its policy."""
        clients.iam().create_role(
            RoleName=resource.name,
            AssumeRolePolicyDocument=json.dumps(resource.spec["trust"]),
            Description="trailguard",
            Tags=tag_list(resource.spec["tags"]),
        )
        self.update(clients, resource, {"tags": resource.spec["tags"]}, ["policy"])

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Update the trust policy, put the inline policy, tag."""
        iam = clients.iam()
        if "trust" in changed:
            iam.update_assume_role_policy(
                RoleName=resource.name, PolicyDocument=json.dumps(resource.spec["trust"])
            )
        if "policy" in changed:
            iam.put_role_policy(
                RoleName=resource.name,
                PolicyName=POLICY_NAME,
                PolicyDocument=json.dumps(resource.spec["policy"]),
            )
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            iam.tag_role(RoleName=resource.name, Tags=tag_list(tags))

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete its inline policies, detach managed ones, delete the role."""
        iam = clients.iam()
        for name in iam.list_role_policies(RoleName=resource.name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=resource.name, PolicyName=name)
        attached = iam.list_attached_role_policies(RoleName=resource.name)["AttachedPolicies"]
        for item in attached:
            iam.detach_role_policy(RoleName=resource.name, PolicyArn=item["PolicyArn"])
        iam.delete_role(RoleName=resource.name)


def _document(value: object) -> Mapping[str, Any] | None:
    """A policy document as a mapping; IAM may hand it back URL-encoded."""
    if isinstance(value, str):
        parsed = json.loads(unquote(value))
        return parsed if isinstance(parsed, Mapping) else None
    return value if isinstance(value, Mapping) else None

"""SSM Parameter Store SecureStrings: the handler's configuration and the deploy secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import CONFIG_PARAMETER, Resource, digest
from trailguard.infra.resources.base import (
    Current,
    Reconciler,
    call_or_none,
    merged_tags,
    tag_list,
    tag_map,
)


class ParameterReconciler(Reconciler):
    """A SecureString parameter; plans compare a digest of its value, never the value."""

    kind = "ssm-parameter"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """A digest of the value, and the tags."""
        ssm = clients.ssm(resource.region)
        found = call_or_none(
            ssm.get_parameter, ["ParameterNotFound"], Name=resource.name, WithDecryption=True
        )
        if found is None:
            return None
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=resource.name)
        parameter = found["Parameter"]
        return {
            "digest": digest(parameter.get("Value", "")),
            "type": parameter.get("Type"),
            "tags": tag_map(tags.get("TagList", [])),
        }

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Put the parameter with its tags."""
        clients.ssm(resource.region).put_parameter(
            Name=resource.name,
            Value=resource.payload["value"],
            Type="SecureString",
            # Standard parameters hold 4 KB; a longer configuration needs the advanced tier.
            Tier="Intelligent-Tiering",
            Tags=tag_list(resource.spec["tags"]),
        )

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Overwrite the value, tag."""
        ssm = clients.ssm(resource.region)
        if "digest" in changed or current.get("type") != "SecureString":
            ssm.put_parameter(
                Name=resource.name,
                Value=resource.payload["value"],
                Type="SecureString",
                Tier="Intelligent-Tiering",
                Overwrite=True,
            )
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            ssm.add_tags_to_resource(
                ResourceType="Parameter",
                ResourceId=resource.name,
                Tags=tag_list(tags),
            )

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the parameter."""
        clients.ssm(resource.region).delete_parameter(Name=resource.name)

    def discover(
        self,
        clients: AwsClients,
        region: str,
        spec: Mapping[str, Any],  # noqa: ARG002 - the Reconciler interface
    ) -> list[str]:
        """Parameters under the configuration's path."""
        path = CONFIG_PARAMETER.rsplit("/", 1)[0]
        pages = clients.ssm(region).get_paginator("get_parameters_by_path")
        return sorted(
            str(item["Name"])
            for page in pages.paginate(Path=path, Recursive=True)
            for item in page.get("Parameters", [])
        )

"""Our trail: created only when no multi-region trail exists, always in the home region.

moto 5.2.1 (and the deployer's own safety) needs: describe before CreateTrail (moto silently
replaces a trail of the same name), home-region clients for GetTrail/UpdateTrail, and names,
never ARNs, for StartLogging.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trailguard.errors import ConfigError
from trailguard.infra.clients import AwsClients
from trailguard.infra.desired import Resource
from trailguard.infra.resources.base import (
    Current,
    Reconciler,
    call_or_none,
    merged_tags,
    retry,
    tag_list,
    tag_map,
)
from trailguard.infra.settings import MANAGED_BY

# Errors CloudTrail raises while a new bucket policy, key policy or role is not yet visible to it.
_PROPAGATION = (
    "InsufficientS3BucketPolicyException",
    "InsufficientEncryptionPolicyException",
    "InvalidCloudWatchLogsRoleArnException",
    "InvalidCloudWatchLogsLogGroupArnException",
)
_FIELDS = {
    "bucket": "S3BucketName",
    "multi_region": "IsMultiRegionTrail",
    "global_events": "IncludeGlobalServiceEvents",
    "log_file_validation": "EnableLogFileValidation",
    "kms_key": "KmsKeyId",
    "log_group_arn": "CloudWatchLogsLogGroupArn",
    "logs_role_arn": "CloudWatchLogsRoleArn",
}


class TrailReconciler(Reconciler):
    """A multi-region trail with global events, validation, optional SSE-KMS and CloudWatch Logs."""

    kind = "trail"

    def read(self, clients: AwsClients, resource: Resource) -> Current | None:
        """The trail as its home region describes it, with its logging status and tags."""
        cloudtrail = clients.cloudtrail(resource.region)
        found = call_or_none(cloudtrail.get_trail, ["TrailNotFoundException"], Name=resource.name)
        if found is None:
            return None
        trail = found["Trail"]
        arn = trail["TrailARN"]
        tags = cloudtrail.list_tags(ResourceIdList=[arn]).get("ResourceTagList", [])
        current: Current = {
            "bucket": trail.get("S3BucketName"),
            "multi_region": bool(trail.get("IsMultiRegionTrail")),
            "global_events": bool(trail.get("IncludeGlobalServiceEvents")),
            "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
            "kms_key": trail.get("KmsKeyId") or None,
            "log_group_arn": trail.get("CloudWatchLogsLogGroupArn") or None,
            "logs_role_arn": trail.get("CloudWatchLogsRoleArn") or None,
            "logging": bool(cloudtrail.get_trail_status(Name=resource.name).get("IsLogging")),
            "tags": tag_map([tag for item in tags for tag in item.get("TagsList", [])]),
            "arn": arn,
        }
        wanted = resource.spec.get("kms_key")
        if (
            wanted
            and current["kms_key"]
            and _key_arn(clients, resource, wanted)
            == _key_arn(clients, resource, current["kms_key"])
        ):
            # AWS reports the key's ARN for a trail created with the alias.
            current["kms_key"] = wanted
        return current

    def create(self, clients: AwsClients, resource: Resource) -> None:
        """Create the trail (never a second multi-region one) and start logging."""
        _refuse_second_trail(clients, resource)
        spec = resource.spec
        options: dict[str, Any] = {
            _FIELDS[key]: spec[key] for key in _FIELDS if spec.get(key) is not None
        }
        retry(
            clients.cloudtrail(resource.region).create_trail,
            _PROPAGATION,
            self.sleep,
            Name=resource.name,
            TagsList=tag_list(spec["tags"]),
            **options,
        )
        clients.cloudtrail(resource.region).start_logging(Name=resource.name)

    def update(
        self, clients: AwsClients, resource: Resource, current: Current, changed: Sequence[str]
    ) -> None:
        """Update the changed settings, start logging, tag."""
        cloudtrail = clients.cloudtrail(resource.region)
        fields = [key for key in changed if key in _FIELDS]
        if fields:
            # An empty string removes a setting (KMS, CloudWatch Logs).
            values = {_FIELDS[key]: resource.spec[key] for key in fields}
            values = {key: ("" if value is None else value) for key, value in values.items()}
            retry(cloudtrail.update_trail, _PROPAGATION, self.sleep, Name=resource.name, **values)
        if "logging" in changed:
            cloudtrail.start_logging(Name=resource.name)
        if "tags" in changed:
            tags = merged_tags(current.get("tags"), resource.spec["tags"])
            cloudtrail.add_tags(ResourceId=current["arn"], TagsList=tag_list(tags))

    def delete(self, clients: AwsClients, resource: Resource) -> None:
        """Delete the trail; its bucket and log files stay."""
        clients.cloudtrail(resource.region).delete_trail(Name=resource.name)


def _key_arn(clients: AwsClients, resource: Resource, key: str) -> str:
    found = call_or_none(
        clients.kms(resource.region).describe_key, ["NotFoundException"], KeyId=key
    )
    return str(found["KeyMetadata"]["Arn"]) if found else key


def _refuse_second_trail(clients: AwsClients, resource: Resource) -> None:
    """Stop if a multi-region trail appeared since the plan: a second one doubles the bill."""
    from trailguard.infra.inventory import list_trails  # noqa: PLC0415

    for trail in list_trails(clients, [resource.region]):
        if trail.multi_region and trail.tags.get(MANAGED_BY) != "trailguard":
            raise ConfigError(
                f"{trail.arn} is a multi-region trail; trailguard adopts it instead of creating "
                "a second one (run `trailguard deploy plan` again)"
            )

"""Doctor checks of the trails: present, logging, unique, complete, validated, private."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trailguard.infra import policies
from trailguard.infra.clients import AwsClients, AwsError, error_code, error_message
from trailguard.infra.coverage import GLOBAL_EVENTS_REGION
from trailguard.infra.findings import (
    BUCKET_NON_TLS,
    BUCKET_PUBLIC,
    DUPLICATE_TRAILS,
    GLOBAL_EVENTS_OFF,
    MANAGEMENT_EXCLUDED,
    MANAGEMENT_WRITE_ONLY,
    NO_TRAIL,
    TRAIL_NOT_LOGGING,
    VALIDATION_OFF,
    Finding,
)
from trailguard.infra.inspection import DEPLOY, Inspection


def check_no_trail(ins: Inspection) -> list[Finding]:
    """A trail exists at all."""
    if ins.trails:
        return []
    home = ins.clients.region
    fix = (
        f"{DEPLOY}, or: aws cloudtrail create-trail --region {home} --name trailguard "
        "--s3-bucket-name BUCKET --is-multi-region-trail --include-global-service-events "
        f"--enable-log-file-validation && aws cloudtrail start-logging --region {home} "
        "--name trailguard"
    )
    return [NO_TRAIL.at(f"account {ins.account}", None, fix)]


def check_trail_logging(ins: Inspection) -> list[Finding]:
    """Every trail is logging."""
    return [
        TRAIL_NOT_LOGGING.at(
            trail.arn,
            trail.home_region,
            f"aws cloudtrail start-logging --region {trail.home_region} --name {trail.name}",
        )
        for trail in ins.trails
        if not trail.logging
    ]


def check_duplicate_trails(ins: Inspection) -> list[Finding]:
    """At most one multi-region trail records management events."""
    recording = [
        trail for trail in ins.trails if trail.multi_region and trail.management and trail.logging
    ]
    if len(recording) < 2:
        return []
    keep = min(recording, key=lambda t: (not t.organization, t.log_group_arn is None, t.arn))
    selectors = '\'[{"ReadWriteType": "All", "IncludeManagementEvents": false}]\''
    return [
        DUPLICATE_TRAILS.at(
            trail.arn,
            trail.home_region,
            f"keep {keep.arn}; on this one stop management events (list its data event "
            f"selectors too): aws cloudtrail put-event-selectors --region {trail.home_region} "
            f"--trail-name {trail.name} --event-selectors {selectors}, or delete it: "
            f"aws cloudtrail delete-trail --region {trail.home_region} --name {trail.name}",
            detail=f"{len(recording)} trails record management events in every region.",
        )
        for trail in recording
        if trail is not keep
    ]


def check_global_events(ins: Inspection) -> list[Finding]:
    """Some trail records global-service events where they land (us-east-1)."""
    if not ins.trails or any(
        trail.global_events and (trail.multi_region or trail.home_region == GLOBAL_EVENTS_REGION)
        for trail in ins.trails
    ):
        return []
    return [
        GLOBAL_EVENTS_OFF.at(
            trail.arn,
            trail.home_region,
            f"aws cloudtrail update-trail --region {trail.home_region} --name {trail.name} "
            "--include-global-service-events",
        )
        for trail in ins.trails
        if trail.multi_region or trail.home_region == GLOBAL_EVENTS_REGION
    ] or [
        GLOBAL_EVENTS_OFF.at(
            f"account {ins.account}",
            None,
            f"{DEPLOY}, or make a trail multi-region with global-service events: aws "
            "cloudtrail update-trail --name NAME --is-multi-region-trail "
            "--include-global-service-events",
            detail="No trail is multi-region or in us-east-1.",
        )
    ]


def check_management_events(ins: Inspection) -> list[Finding]:
    """Some trail records all management events, reads and writes."""
    kinds = {trail.management for trail in ins.trails}
    if not ins.trails or "All" in kinds or {"ReadOnly", "WriteOnly"} <= kinds:
        return []
    kind = MANAGEMENT_WRITE_ONLY if "WriteOnly" in kinds else MANAGEMENT_EXCLUDED
    selectors = '\'[{"ReadWriteType": "All", "IncludeManagementEvents": true}]\''
    return [
        kind.at(
            trail.arn,
            trail.home_region,
            f"aws cloudtrail put-event-selectors --region {trail.home_region} --trail-name "
            f"{trail.name} --event-selectors {selectors} (add its data event selectors to the "
            "list, which replaces them all)",
            detail=f"It records {(trail.management or 'no').lower()} management events.",
        )
        for trail in ins.trails
        if trail.management != "All"
    ]


def check_log_file_validation(ins: Inspection) -> list[Finding]:
    """Every trail writes digest files."""
    return [
        VALIDATION_OFF.at(
            trail.arn,
            trail.home_region,
            f"aws cloudtrail update-trail --region {trail.home_region} --name {trail.name} "
            "--enable-log-file-validation",
        )
        for trail in ins.trails
        if not trail.log_file_validation
    ]


def check_bucket_policies(ins: Inspection) -> list[Finding]:
    """No trail bucket is public, and every one refuses plain HTTP."""
    found: list[Finding] = []
    for bucket in sorted({trail.bucket for trail in ins.trails if trail.bucket}):
        document = _bucket_policy(ins.clients, bucket)
        if document is None:
            continue
        resource = f"arn:aws:s3:::{bucket}"
        public = policies.public_statements(document)
        if public:
            found.append(
                BUCKET_PUBLIC.at(
                    resource,
                    None,
                    f"remove or narrow (aws:SourceArn = the trail) the statements {public} in "
                    f"aws s3api get-bucket-policy --bucket {bucket}, then block public "
                    f"policies: aws s3api put-public-access-block --bucket {bucket} "
                    "--public-access-block-configuration BlockPublicAcls=true,"
                    "IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
                    detail=f"Statements {', '.join(public)} allow any principal.",
                )
            )
        if not policies.denies_insecure_transport(document):
            statement = json.dumps(policies.deny_insecure_transport(bucket))
            found.append(
                BUCKET_NON_TLS.at(
                    resource,
                    None,
                    "add this statement to the bucket policy (aws s3api put-bucket-policy "
                    f"--bucket {bucket} --policy file://policy.json): {statement}",
                )
            )
    return found


def _bucket_policy(clients: AwsClients, bucket: str) -> Mapping[str, Any] | None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        location = clients.s3().get_bucket_location(Bucket=bucket).get("LocationConstraint")
        text = clients.s3(location or "us-east-1").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error_code(error) == "NoSuchBucketPolicy":
            return {}
        raise AwsError(error_code(error), error_message(error), f"bucket {bucket}") from None
    document = json.loads(text)
    return document if isinstance(document, Mapping) else {}

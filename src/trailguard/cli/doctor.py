"""``trailguard doctor``: audit an account's CloudTrail alerting setup."""

from __future__ import annotations

import sys
from collections import Counter

import click

from trailguard.cli._output import emit
from trailguard.cli._rules import SEVERITIES
from trailguard.infra.clients import AwsClients, aws_errors
from trailguard.infra.doctor import CHECKS, run_doctor
from trailguard.rules import Severity

EXIT_FINDING = 1
COLUMNS = ("severity", "id", "region", "resource", "why", "fix")


def session_clients(profile: str | None, region: str | None) -> AwsClients:
    """Clients of a boto3 session for ``profile`` (the default chain when None)."""
    import boto3  # noqa: PLC0415 - only commands that talk to AWS load it

    with aws_errors(f"profile {profile or '(default)'}"):
        session = boto3.Session(profile_name=profile, region_name=region)
    return AwsClients(session, region)


@click.command("doctor")
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="REGION",
    help="Inspect this region (repeatable; default: every enabled region). The sign-in regions "
    "are always checked for EventBridge rules.",
)
@click.option("--profile", help="The AWS profile to use (default: the usual credential chain).")
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(("table", "json")),
    default="table",
    show_default=True,
    help="How to print the findings.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 1 if any finding has at least this severity.",
)
def doctor_command(
    regions: tuple[str, ...], profile: str | None, output_format: str, fail_on: str | None
) -> None:
    """Find what is wrong with the account's CloudTrail alerting, and how to fix it.

    Checks the trails (none, not logging, duplicates, global-service and management events, log
    file validation, bucket policy), the EventBridge rules (missing where sign-in and global
    events land, on a custom bus, Lambda permission, read-only state) and the CIS metric filters,
    alarms and SNS subscriptions. Each finding names the resource, why it matters and the fix.

    \b
    Examples:
      trailguard doctor --region eu-west-1 --region us-east-1
      trailguard doctor --format json --fail-on high
    """
    clients = session_clients(profile, regions[0] if regions else None)
    inspected = list(regions) or clients.enabled_regions()
    findings = run_doctor(clients, inspected)
    emit(
        (finding.to_dict() for finding in findings),
        output_format,
        columns=COLUMNS,
        title="trailguard doctor",
    )
    counts = Counter(str(finding.severity) for finding in findings)
    summary = ", ".join(f"{counts[name]} {name}" for name in reversed(SEVERITIES) if counts[name])
    click.echo(
        f"trailguard: {len(findings)} findings ({summary or 'none'}) in {len(inspected)} regions; "
        f"{len(CHECKS)} checks",
        err=True,
    )
    if fail_on and any(finding.severity >= Severity.parse(fail_on) for finding in findings):
        sys.exit(EXIT_FINDING)

"""``doctor``: audit an account's CloudTrail alerting setup, one small check per finding.

Every check takes an ``Inspection`` (the clients plus what was already read) and returns
findings; ``CHECKS`` lists them in the order they run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from trailguard.infra.checks.cis import (
    check_alarm_actions,
    check_cis_alarms,
    check_cis_metric_filters,
    check_topic_subscriptions,
)
from trailguard.infra.checks.eventbridge import (
    check_custom_bus_rules,
    check_lambda_permissions,
    check_read_only_state,
    check_rules_in_landing_regions,
)
from trailguard.infra.checks.trails import (
    check_bucket_policies,
    check_duplicate_trails,
    check_global_events,
    check_log_file_validation,
    check_management_events,
    check_no_trail,
    check_trail_logging,
)
from trailguard.infra.clients import AwsClients, AwsError
from trailguard.infra.findings import CHECK_FAILED, Finding
from trailguard.infra.inspection import Inspection

Check = Callable[[Inspection], list[Finding]]
"""A check: what it finds in an inspected account."""

CHECKS: tuple[Check, ...] = (
    check_no_trail,
    check_trail_logging,
    check_duplicate_trails,
    check_global_events,
    check_management_events,
    check_log_file_validation,
    check_bucket_policies,
    check_rules_in_landing_regions,
    check_custom_bus_rules,
    check_lambda_permissions,
    check_read_only_state,
    check_cis_metric_filters,
    check_cis_alarms,
    check_alarm_actions,
    check_topic_subscriptions,
)
"""Every check, in the order they run."""


def run_doctor(
    clients: AwsClients, regions: Sequence[str], checks: Iterable[Check] = CHECKS
) -> list[Finding]:
    """Run the checks over ``regions`` (plus the sign-in regions for rules); worst first.

    A check that cannot read what it needs reports ``check-failed`` with AWS's error, and the
    others still run; only failing to learn the account id (credentials) raises AwsError.
    """
    inspection = Inspection(clients, regions)
    _ = inspection.account  # no credentials or no endpoint: an error, not a list of findings
    found: list[Finding] = []
    for check in checks:
        try:
            found.extend(check(inspection))
        except AwsError as error:
            found.append(
                CHECK_FAILED.at(
                    error.resource,
                    None,
                    "grant the read-only permissions the doctor needs (the AWS managed policy "
                    "SecurityAudit covers them) and run it again",
                    detail=f"{check.__name__}: {error.code}: {error.aws_message}.",
                )
            )
    return sorted(found, key=lambda f: (-f.severity, f.id, f.region or "", f.resource))

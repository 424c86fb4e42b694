"""``trailguard alerts``: read back the alerts kept in the store."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from trailguard.cli._output import emit, output_options
from trailguard.cli._rules import SEVERITIES, split_list
from trailguard.cli.scan import SUMMARY_COLUMNS
from trailguard.rules import Severity
from trailguard.store import AlertStore, default_database_path
from trailguard.timeparse import cloudtrail_time, parse_time, zone


@click.group("alerts")
def alerts_group() -> None:
    """The alert store: every alert raised by scans, once per rule and event."""


@alerts_group.command("list")
@click.option("--since", help="Only alerts for events at or after this time (ISO 8601, 2h, 7d).")
@click.option("--until", help="Only alerts for events at or before this time.")
@click.option("--tz", help="Time zone for times without one (IANA name); default UTC.")
@click.option(
    "--rule", "rules", multiple=True, help="Only these rule ids (repeatable or comma-separated)."
)
@click.option(
    "--min-severity", type=click.Choice(SEVERITIES), help="Only alerts of at least this severity."
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many alerts.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help=f"Alert store (default {default_database_path()}).",
)
@output_options
def list_command(
    since: str | None,
    until: str | None,
    tz: str | None,
    rules: tuple[str, ...],
    min_severity: str | None,
    limit: int | None,
    db: str | None,
    output_format: str,
    output_path: str | None,
) -> None:
    """List stored alerts, oldest event first."""
    now = datetime.now(UTC)
    with AlertStore(db or default_database_path()) as store:
        stored = list(
            store.list(
                since=cloudtrail_time(parse_time(since, now=now, tz=zone(tz))) if since else None,
                until=cloudtrail_time(parse_time(until, now=now, tz=zone(tz))) if until else None,
                rules=split_list(rules),
                min_severity=Severity.parse(min_severity) if min_severity else None,
                limit=limit,
            )
        )
    emit(
        (s.summary() for s in stored),
        output_format,
        output_path,
        columns=SUMMARY_COLUMNS,
        full_rows=(s.alert for s in stored),
        title="Stored alerts",
    )

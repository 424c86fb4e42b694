"""``trailguard alerts``: read back the alerts kept in the store."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from trailguard.alerts import Alert
from trailguard.cli._output import emit, output_options
from trailguard.cli._rules import SEVERITIES, split_list
from trailguard.cli._spark import open_session
from trailguard.cli.notify import (
    EXIT_UNDELIVERED,
    UNDELIVERED_COLUMNS,
    config_option,
    print_report,
    redeliver,
    undelivered_rows,
)
from trailguard.cli.scan import SUMMARY_COLUMNS
from trailguard.rules import Severity
from trailguard.spark.results import read_alerts
from trailguard.store import AlertStore, default_database_path
from trailguard.timeparse import cloudtrail_time, parse_time, zone

LOAD_BATCH = 500


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
@click.option(
    "--undelivered",
    is_flag=True,
    help="List the deliveries that failed or are pending instead (one row per destination).",
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
    undelivered: bool,
    output_format: str,
    output_path: str | None,
) -> None:
    """List stored alerts, oldest event first (or, with --undelivered, failed deliveries)."""
    if undelivered:
        rows = undelivered_rows(db, split_list(rules))
        emit(rows, output_format, output_path, columns=UNDELIVERED_COLUMNS, title="Undelivered")
        return
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


@alerts_group.command("load")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(exists=True))
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help=f"Alert store (default {default_database_path()}).",
)
def load_command(paths: tuple[str, ...], db: str | None) -> None:
    """Keep alerts from files in the store: Spark scan output or `scan --format jsonl`.

    PATH is a JSON Lines file, or a folder a Spark scan wrote with --output (its part files,
    JSON Lines or Parquet; Parquet is read with Spark and needs the spark extra). Each alert is
    kept once per rule and event, so loading a folder twice adds nothing the second time.

    \b
    Examples:
      trailguard scan AWSLogs/ --engine spark --format parquet --output alerts/
      trailguard alerts load alerts/
    """
    read = 0
    with AlertStore(db or default_database_path()) as store:
        new = 0
        batch: list[Alert] = []
        for path in paths:
            for alert in read_alerts(path, spark=lambda: open_session(None, ())):
                read += 1
                batch.append(alert)
                if len(batch) >= LOAD_BATCH:
                    new += store.add(batch)
                    batch = []
        new += store.add(batch)
    click.echo(f"{read} alerts read, {new} new alerts stored")


@alerts_group.command("redeliver")
@click.option(
    "--rule", "rules", multiple=True, help="Only these rule ids (repeatable or comma-separated)."
)
@click.option(
    "--destination",
    "destinations",
    multiple=True,
    help="Only these destinations (repeatable or comma-separated).",
)
@config_option
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help=f"Alert store (default {default_database_path()}).",
)
def redeliver_command(
    rules: tuple[str, ...], destinations: tuple[str, ...], config_path: str | None, db: str | None
) -> None:
    """Send the failed and pending deliveries again, with the current configuration.

    Each delivery goes to the destination it failed for; suppressions and throttling are not
    applied again. Exit 4 if some still fail.
    """
    report = redeliver(config_path, db, split_list(rules), split_list(destinations))
    print_report(report, what="redelivery")
    if not report.ok:
        raise click.exceptions.Exit(EXIT_UNDELIVERED)

"""``trailguard scan``: run the rules over CloudTrail logs and report alerts."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click

from trailguard.alerts import Alert
from trailguard.cli._output import RowWriter, output_options_with
from trailguard.cli._rules import SEVERITIES, rule_options, select_rules
from trailguard.cli._spark import check_engine, engine_options, open_session
from trailguard.cli.notify import (
    EXIT_UNDELIVERED,
    ScanNotifier,
    config_option,
    open_state,
    print_report,
)
from trailguard.detect import RuleSet
from trailguard.rules import Rule, Severity
from trailguard.scan import DEFAULT_LATENESS, FileResult, ScanResult, ScanWindow, scan
from trailguard.spark import SparkOutput, SparkScanResult, scan_on_spark
from trailguard.store import AlertStore, default_database_path
from trailguard.timeparse import cloudtrail_time, parse_time, zone

EXIT_ALERT_AT_FAIL_ON = 3
SUMMARY_COLUMNS = (
    "eventTime",
    "severity",
    "rule",
    "principal",
    "eventName",
    "account",
    "region",
    "sourceIPAddress",
    "count",
)


@click.command("scan")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@rule_options
@click.option("--since", help="Only events at or after this time (ISO 8601, or 2h, 7d ago).")
@click.option("--until", help="Only events at or before this time.")
@click.option("--tz", help="Time zone for --since/--until without one (IANA name); default UTC.")
@output_options_with("parquet")
@engine_options
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    help="Exit 3 if any alert has at least this severity.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help=f"Alert store (default {default_database_path()}).",
)
@click.option("--no-store", is_flag=True, help="Do not keep the alerts in the store.")
@click.option(
    "--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal)."
)
@click.option(
    "--notify",
    is_flag=True,
    help="Send the alerts through the configured routes (exit 4 if a delivery fails).",
)
@config_option
def scan_command(
    sources: tuple[str, ...],
    rule_dirs: tuple[str, ...],
    no_builtin: bool,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    min_severity: str | None,
    since: str | None,
    until: str | None,
    tz: str | None,
    output_format: str,
    output_path: str | None,
    jobs: int,
    engine: str,
    spark_master: str | None,
    spark_conf: tuple[str, ...],
    fail_on: str | None,
    db: str | None,
    no_store: bool,
    progress: bool | None,
    notify: bool,
    config_path: str | None,
) -> None:
    """Run detection rules over CloudTrail logs and print the alerts.

    SOURCE is a file, a folder (such as a copy of the trail bucket's AWSLogs/), s3://bucket/prefix
    or `-` (the default). The built-in rule pack runs unless --no-builtin; --rules adds your own.
    Alerts are kept in the alert store (see `trailguard alerts list`), once per rule and event.

    --engine spark runs the same rules on Apache Spark with the same results. Its alerts print
    as usual, or --output DIR has Spark write them (--format jsonl or parquet) for
    `trailguard alerts load`.

    \b
    Examples:
      trailguard scan AWSLogs/ --since 7d --min-severity high
      trailguard scan s3://my-trail-bucket/AWSLogs/ --jobs 4 --format jsonl -o alerts.jsonl
      trailguard scan AWSLogs/ --since 1d --notify --config trailguard.yaml
      trailguard scan s3a://trail-bucket/AWSLogs/ --engine spark --spark-master yarn \\
          --format parquet --output s3a://results/alerts/
    """
    spark_output = check_engine(
        engine,
        sources=sources,
        jobs=jobs,
        output_format=output_format,
        output_path=output_path,
        spark_master=spark_master,
        spark_conf=spark_conf,
        collected=["--notify"] if notify else [],
    )
    rules = select_rules(rule_dirs, no_builtin, only, exclude, min_severity)
    now = datetime.now(UTC)
    window = ScanWindow(
        since=cloudtrail_time(parse_time(since, now=now, tz=zone(tz))) if since else None,
        until=cloudtrail_time(parse_time(until, now=now, tz=zone(tz))) if until else None,
    )
    if spark_output is not None:
        _scan_to_folder(sources, rules, window, spark_master, spark_conf, spark_output, fail_on)
        return
    show_progress = sys.stderr.isatty() if progress is None else progress
    store = None if no_store else AlertStore(db or default_database_path())
    sink = _AlertSink(
        RowWriter(output_format, output_path, columns=SUMMARY_COLUMNS, title="Alerts"), store
    )
    sink.notifier = ScanNotifier(config_path, rules, open_state(db, no_store)) if notify else None
    try:
        result: ScanResult | SparkScanResult
        if engine == "spark":
            spark = open_session(spark_master, spark_conf)
            result = scan_on_spark(
                spark, sources, rules, window=window, on_alert=sink, on_problem=_report_problem
            )
        else:
            result = _run(
                list(sources or ("-",)), RuleSet(rules), window, jobs, show_progress, sink
            )
    finally:
        sink.close()
        report = sink.notifier.finish() if sink.notifier else None
    _print_summary(result, len(rules), sink.stored if store else None)
    if report is not None:
        print_report(report)
    if result.problems:
        sys.exit(2)
    if report is not None and not report.ok:
        sys.exit(EXIT_UNDELIVERED)
    if fail_on and sink.worst is not None and sink.worst >= Severity.parse(fail_on):
        sys.exit(EXIT_ALERT_AT_FAIL_ON)


def _scan_to_folder(
    sources: Sequence[str],
    rules: Sequence[Rule],
    window: ScanWindow,
    spark_master: str | None,
    spark_conf: Sequence[str],
    output: SparkOutput,
    fail_on: str | None,
) -> None:
    spark = open_session(spark_master, spark_conf)
    result = scan_on_spark(
        spark, sources, rules, window=window, output=output, on_problem=_report_problem
    )
    _print_summary(result, len(rules), None, written=output)
    if result.problems:
        sys.exit(2)
    severities = {rule.id: rule.severity for rule in rules}
    worst = max((severities[rule_id] for rule_id in result.by_rule()), default=None)
    if fail_on and worst is not None and worst >= Severity.parse(fail_on):
        sys.exit(EXIT_ALERT_AT_FAIL_ON)


def _report_problem(problem: str) -> None:
    click.echo(f"trailguard: skipped: {problem}", err=True)


class _AlertSink:
    """Prints each alert (sorted by time for table and json) and stores them in batches."""

    BATCH = 500

    def __init__(self, writer: RowWriter, store: AlertStore | None) -> None:
        self.writer = writer
        self.store = store
        self.stored = 0
        self.worst: Severity | None = None
        self.notifier: ScanNotifier | None = None
        self._batch: list[Alert] = []
        self._sorted = writer.output_format in ("table", "json")
        self._kept: list[Alert] = []

    def __call__(self, alert: Alert) -> None:
        if self.worst is None or alert.severity > self.worst:
            self.worst = alert.severity
        if self.notifier is not None:
            self.notifier(alert)
        if self._sorted:
            self._kept.append(alert)
        else:
            self.writer.write(alert.summary(), alert.to_dict())
        if self.store is not None:
            self._batch.append(alert)
            if len(self._batch) >= self.BATCH:
                self._flush()

    def _flush(self) -> None:
        if self.store is not None and self._batch:
            self.stored += self.store.add(self._batch)
        self._batch = []

    def close(self) -> None:
        self._kept.sort(key=lambda a: (a.event_time, a.rule_id, a.event_id))
        for alert in self._kept:
            self.writer.write(alert.summary(), alert.to_dict())
        self._kept = []
        self.writer.close()
        self._flush()
        if self.store is not None:
            self.store.close()


def _run(
    sources: Sequence[str],
    rule_set: RuleSet,
    window: ScanWindow,
    jobs: int,
    show_progress: bool,
    sink: _AlertSink,
) -> ScanResult:
    def report(file_result: FileResult) -> None:
        for problem in file_result.problems:
            _report_problem(problem)

    if not show_progress:
        return scan(
            sources,
            rule_set,
            window=window,
            jobs=jobs,
            s3_client_factory=_s3_client,
            on_file=report,
            on_alert=sink,
        )
    from rich.progress import Progress  # noqa: PLC0415 - only on a terminal

    with Progress(transient=True) as bar:
        task = bar.add_task("scanning", total=None)

        def advance(file_result: FileResult) -> None:
            report(file_result)
            bar.update(task, advance=1, description=f"scanning ({file_result.records} records)")

        return scan(
            sources,
            rule_set,
            window=window,
            jobs=jobs,
            s3_client_factory=_s3_client,
            on_file=advance,
            on_alert=sink,
        )


def _s3_client() -> Any:
    import boto3  # noqa: PLC0415 - only for s3:// sources

    return boto3.client("s3")


def _print_summary(
    result: ScanResult | SparkScanResult,
    rule_count: int,
    stored: int | None,
    *,
    written: SparkOutput | None = None,
) -> None:
    lines = [
        (
            f"{result.files} files, {result.records} records, {rule_count} rules, "
            f"{sum(result.by_rule().values())} alerts, {len(result.problems)} problems"
        )
    ]
    lines.extend(f"  {count:6d}  {rule}" for rule, count in sorted(result.by_rule().items()))
    if result.late_threshold_matches:
        lines.append(
            f"{result.late_threshold_matches} threshold matches arrived more than "
            f"{DEFAULT_LATENESS} after their eventTime and were counted late"
        )
    if stored is not None:
        lines.append(f"{stored} new alerts stored")
    if written is not None:
        lines.append(
            f"alerts written to {written.path} ({written.format}); "
            f"`trailguard alerts load {written.path}` keeps them in the store"
        )
    click.echo("\n".join(lines), err=True)

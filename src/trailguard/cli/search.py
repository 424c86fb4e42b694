"""``trailguard search``: find CloudTrail events in files, S3 or the LookupEvents API."""

from __future__ import annotations

import io
import shlex
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from trailguard.cli._athena import ATHENA_SQL, athena_options, print_athena_sql
from trailguard.cli._inputs import pattern_text
from trailguard.cli._output import RowWriter, output_options_with
from trailguard.cli._spark import check_engine, engine_options, search_with_spark
from trailguard.errors import ConfigError, InputError
from trailguard.investigate import (
    DEFAULT_FIELDS,
    Field,
    Query,
    SearchResult,
    parse_fields,
    project,
    search_files,
    search_lookup_events,
)
from trailguard.investigate.engine import FileMatches
from trailguard.investigate.fields import as_text
from trailguard.investigate.report import ReportContext, ReportData, render_report
from trailguard.investigate.summary import DIMENSIONS, Summary
from trailguard.investigate.timeline import (
    Timeline,
    choose_interval,
    parse_interval,
    render_chart,
)
from trailguard.sources.lookup_api import (
    LookupEventsSource,
    default_regions,
    enabled_regions,
    global_region_hint,
)
from trailguard.timeparse import parse_time, zone

EXIT_NO_MATCH = 1
EXIT_PROBLEMS = 2
SUMMARY_TABLE_ROWS = 20
DIMENSION_TITLES = {
    "principal": "Principals",
    "accessKeyId": "Access keys",
    "eventName": "Event names",
    "sourceIPAddress": "Source IP addresses",
    "awsRegion": "Regions",
    "errorCode": "Error codes",
}


def _many(name: str, metavar: str, text: str) -> Callable[[Any], Any]:
    return click.option(name, multiple=True, metavar=metavar, help=text + " Repeatable.")


@click.command("search")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--api",
    is_flag=True,
    help="Search the LookupEvents API (event history: 90 days of management events).",
)
@_many("--region", "REGION", "Only events in this region; with --api, a region to search.")
@click.option("--all-regions", is_flag=True, help="With --api: search every enabled region.")
@click.option("--profile", metavar="NAME", help="AWS profile for --api and s3:// sources.")
@click.option(
    "--since", metavar="TIME", help="Only events at or after this time (ISO 8601, 2h, 7d ago, ...)."
)
@click.option("--until", metavar="TIME", help="Only events at or before this time.")
@click.option(
    "--tz",
    metavar="ZONE",
    help="Time zone of --since/--until without one (IANA name); default UTC.",
)
@_many("--event-name", "NAME", "Event name or glob, e.g. 'Delete*'.")
@_many("--exclude-event-name", "NAME", "Leave out this event name or glob, e.g. 'Describe*'.")
@_many("--event-source", "SOURCE", "Service: ec2 or ec2.amazonaws.com.")
@_many("--user", "NAME", "IAM user, role or role session name (globs).")
@_many("--principal-arn", "ARN", "Caller ARN or the role behind a session (globs).")
@_many("--access-key", "KEY", "Access key id (AKIA..., ASIA...).")
@_many("--source-ip", "IP", "Source IP address, CIDR block or service name.")
@_many("--account", "ID", "Account the event was recorded in (12 digits).")
@click.option("--read-only/--write-only", "read_only", default=None, help="Only reads / writes.")
@click.option("--errors", is_flag=True, help="Only failed calls (any errorCode).")
@_many("--error-code", "CODE", "Only this errorCode (globs), e.g. 'AccessDenied*'.")
@_many("--resource-type", "TYPE", "Resource type, e.g. AWS::S3::Bucket.")
@_many("--resource-name", "NAME", "Resource ARN or name (globs).")
@_many("--event-id", "ID", "Event id.")
@_many("--match", "PATTERN", "EventBridge event pattern (JSON or a file) the event must match.")
@_many("--filter", "PATTERN", "CloudWatch Logs filter pattern the event must match.")
@click.option(
    "--fields",
    metavar="LIST",
    help="Fields to print: dot paths, [n] indexes, name=path, e.g. "
    "eventTime,type=responseElements.instancesSet.items[0].instanceType.",
)
@output_options_with("parquet", ATHENA_SQL)
@athena_options
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help="Print at most this many events."
)
@click.option("--summary", is_flag=True, help="Print counts by principal, key, event, IP ...")
@click.option("--timeline", is_flag=True, help="Print events per interval as a chart.")
@click.option(
    "--interval",
    metavar="INTERVAL",
    help="Timeline interval (5m, 1h, 1d); chosen from the span by default.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a self-contained HTML incident report to this file.",
)
@engine_options
@click.option(
    "--progress/--no-progress", default=None, help="Show progress (default: on a terminal)."
)
def search_command(
    sources: tuple[str, ...],
    api: bool,
    region: tuple[str, ...],
    all_regions: bool,
    profile: str | None,
    since: str | None,
    until: str | None,
    tz: str | None,
    event_name: tuple[str, ...],
    exclude_event_name: tuple[str, ...],
    event_source: tuple[str, ...],
    user: tuple[str, ...],
    principal_arn: tuple[str, ...],
    access_key: tuple[str, ...],
    source_ip: tuple[str, ...],
    account: tuple[str, ...],
    read_only: bool | None,
    errors: bool,
    error_code: tuple[str, ...],
    resource_type: tuple[str, ...],
    resource_name: tuple[str, ...],
    event_id: tuple[str, ...],
    match: tuple[str, ...],
    filter: tuple[str, ...],  # noqa: A002 - named after its option
    fields: str | None,
    output_format: str,
    output_path: str | None,
    ddl: bool,
    limit: int | None,
    summary: bool,
    timeline: bool,
    interval: str | None,
    report_path: str | None,
    jobs: int,
    engine: str,
    spark_master: str | None,
    spark_conf: tuple[str, ...],
    progress: bool | None,
) -> None:
    """Find CloudTrail events: who did what, where and when.

    SOURCE is a file, a folder (a copy of the trail bucket's AWSLogs/), s3://bucket/prefix or
    `-` (standard input, the default); --api searches the LookupEvents API instead. Values of
    one option are alternatives; different options must all match. Events are printed oldest
    first. --summary, --timeline and --report replace the event list; combine them freely.

    \b
    Exit status: 0 events found, 1 none found, 2 bad input or unreadable sources.

    \b
    Examples:
      trailguard search AWSLogs/ --access-key AKIAEXAMPLE --exclude-event-name 'Describe*'
      trailguard search s3://trail-bucket/ --since 7d --event-source iam --write-only -j 4
      trailguard search --api --all-regions --access-key AKIAEXAMPLE --summary
      trailguard search AWSLogs/ --user mallory --report incident.html
      trailguard search s3a://trail-bucket/AWSLogs/ --engine spark --spark-master yarn --summary
      trailguard search --since 7d --user mallory --format athena-sql --ddl

    --format athena-sql prints the query as SQL for the CloudTrail Athena table instead of
    searching (no SOURCE); options SQL cannot express exactly are named. See
    docs/athena-notes.md.
    """
    now = datetime.now(UTC)
    try:
        time_zone = zone(tz)
    except ConfigError as error:
        raise ConfigError(f"--tz: {error.message}") from None
    query = Query(
        since=_time("--since", since, now, time_zone),
        until=_time("--until", until, now, time_zone),
        event_names=event_name,
        exclude_event_names=exclude_event_name,
        event_sources=event_source,
        users=user,
        principal_arns=principal_arn,
        access_keys=access_key,
        source_ips=source_ip,
        regions=() if all_regions else region,
        accounts=account,
        read_only=read_only,
        errors=errors,
        error_codes=error_code,
        resource_types=resource_type,
        resource_names=resource_name,
        event_ids=event_id,
        event_patterns=tuple(pattern_text(text) for text in match),
        filter_patterns=filter,
    )
    compiled = query.compile()
    if output_format == ATHENA_SQL:
        others: dict[str, object] = {"--api": api, "--summary": summary, "--timeline": timeline}
        others |= {"--report": report_path, "--engine spark": engine == "spark"}
        others |= {"--limit": limit, "--fields": fields}
        print_athena_sql(query, ddl=ddl, output_path=output_path, sources=sources, others=others)
        return
    if ddl:
        raise click.UsageError("--ddl applies to --format athena-sql")
    columns = parse_fields(fields) if fields else None
    timeline_interval = parse_interval(interval) if interval else None
    _check_usage(api, all_regions, region, sources, output_path, summary, timeline)
    given = {
        "--summary": summary,
        "--timeline": timeline,
        "--report": report_path,
        "--limit": limit,
        "--fields": fields,
    }
    spark_output = check_engine(
        engine,
        sources=sources,
        jobs=jobs,
        output_format=output_format,
        output_path=output_path,
        spark_master=spark_master,
        spark_conf=spark_conf,
        collected=[name for name, value in given.items() if value],
        api=api,
    )
    show_progress = sys.stderr.isatty() if progress is None else progress
    hint = global_region_hint(query.regions, query.event_sources)
    if api:
        regions, result, described = _search_api(query, region, all_regions, profile, show_progress)
    elif engine == "spark":
        result = search_with_spark(
            sources,
            query,
            spark_master=spark_master,
            spark_conf=spark_conf,
            profile=profile,
            output=spark_output,
        )
        regions, described = query.regions, list(sources)
    else:
        chosen = list(sources or ("-",))
        result = _search_files(chosen, compiled, jobs, profile, show_progress)
        regions, described = query.regions, chosen
    try:
        try:
            _print_results(
                result,
                columns,
                output_format,
                output_path,
                limit,
                summary=summary,
                timeline=timeline,
                interval=timeline_interval,
                report=bool(report_path),
            )
        except OSError as error:
            raise ConfigError(f"--output: cannot write {output_path}: {error.strerror}") from None
        if report_path:
            _write_report(report_path, query, described, result, limit, api=api)
        _print_totals(result, api=api, regions=regions, report_path=report_path)
    finally:
        result.close()
    if hint and (api or not len(result)):
        click.echo(f"trailguard: note: {hint}", err=True)
    if result.problems:
        sys.exit(EXIT_PROBLEMS)
    if not len(result):
        sys.exit(EXIT_NO_MATCH)


def _time(option: str, text: str | None, now: datetime, time_zone: Any) -> datetime | None:
    if not text:
        return None
    try:
        return parse_time(text, now=now, tz=time_zone)
    except ConfigError as error:
        raise ConfigError(f"{option}: {error.message}") from None


def _check_usage(
    api: bool,
    all_regions: bool,
    regions: Sequence[str],
    sources: Sequence[str],
    output_path: str | None,
    summary: bool,
    timeline: bool,
) -> None:
    if api and sources:
        raise click.UsageError("--api searches LookupEvents; give either --api or SOURCE, not both")
    if all_regions and not api:
        raise click.UsageError("--all-regions applies to --api (files are filtered by --region)")
    if all_regions and regions:
        raise click.UsageError("give either --region or --all-regions")
    if output_path and summary and timeline:
        raise click.UsageError("--output takes one result: use --summary or --timeline, not both")
    if not api and not sources and sys.stdin.isatty():
        raise click.UsageError("give SOURCE (files, folders, s3://... or -) or --api")


def _session(profile: str | None) -> Any:
    import boto3  # noqa: PLC0415 - only for AWS sources
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    try:
        return boto3.Session(profile_name=profile)
    except BotoCoreError as error:
        raise ConfigError(f"--profile: {error}") from None


def _search_files(
    sources: Sequence[str], query: Any, jobs: int, profile: str | None, show_progress: bool
) -> SearchResult:
    def s3_client() -> Any:
        return _session(profile).client("s3")

    def report(found: FileMatches) -> None:
        for problem in found.problems:
            click.echo(f"trailguard: skipped: {problem}", err=True)

    if not show_progress:
        return search_files(sources, query, jobs=jobs, s3_client_factory=s3_client, on_file=report)
    from rich.progress import Progress  # noqa: PLC0415 - only on a terminal

    with Progress(transient=True) as bar:
        task = bar.add_task("searching", total=None)
        found_so_far = [0]

        def advance(found: FileMatches) -> None:
            report(found)
            found_so_far[0] += len(found.matches)
            bar.update(task, advance=1, description=f"searching ({found_so_far[0]} found)")

        return search_files(sources, query, jobs=jobs, s3_client_factory=s3_client, on_file=advance)


def _search_api(
    query: Query,
    regions: Sequence[str],
    all_regions: bool,
    profile: str | None,
    show_progress: bool,
) -> tuple[Sequence[str], SearchResult, list[str]]:
    from botocore.config import Config  # noqa: PLC0415 - only for AWS sources

    session = _session(profile)
    if all_regions:
        chosen = enabled_regions(
            session.client("ec2", region_name=session.region_name or "us-east-1")
        )
    else:
        chosen = list(regions) or default_regions(session.region_name)
    # No botocore retries: throttling is paced and backed off by LookupEventsSource itself.
    config = Config(retries={"total_max_attempts": 1})
    source = LookupEventsSource(
        lambda region: session.client("cloudtrail", region_name=region, config=config), chosen
    )

    def report(error: InputError) -> None:
        click.echo(f"trailguard: skipped: {error}", err=True)

    described = [f"LookupEvents API in {region}" for region in source.regions]
    if not show_progress:
        return chosen, search_lookup_events(source, query, on_error=report), described
    from rich.progress import Progress  # noqa: PLC0415 - only on a terminal

    with Progress(transient=True) as bar:
        task = bar.add_task("LookupEvents", total=None)

        def advance(count: int) -> None:
            bar.update(
                task, description=f"LookupEvents ({count} events, {source.stats.calls} calls)"
            )

        result = search_lookup_events(source, query, on_error=report, on_record=advance)
    return chosen, result, described


def _print_results(
    result: SearchResult,
    columns: tuple[Field, ...] | None,
    output_format: str,
    output_path: str | None,
    limit: int | None,
    *,
    summary: bool,
    timeline: bool,
    interval: int | None,
    report: bool,
) -> None:
    if summary:
        _print_summary(Summary.of(result), output_format, output_path)
    if timeline:
        _print_timeline(Timeline.of(result), interval, output_format, output_path)
    if not summary and not timeline and not report:
        _print_events(result, columns, output_format, output_path, limit)


def _print_events(
    records: Iterable[dict[str, Any]],
    columns: tuple[Field, ...] | None,
    output_format: str,
    output_path: str | None,
    limit: int | None,
) -> None:
    shown = columns or parse_fields(DEFAULT_FIELDS)
    names = [field.name for field in shown]
    with RowWriter(output_format, output_path, columns=names) as writer:
        for count, record in enumerate(records, start=1):
            if limit is not None and count > limit:
                break
            values = project(record, shown)
            text = {name: as_text(value) for name, value in values.items()}
            writer.write(text, values if columns else record)


def _print_summary(summary: Summary, output_format: str, output_path: str | None) -> None:
    if output_format == "json":
        _write_text(
            orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n",
            output_path,
        )
        return
    if output_format in ("jsonl", "csv"):
        names = ["dimension", "value", "count", "firstSeen", "lastSeen"]
        with RowWriter(output_format, output_path, columns=names) as writer:
            for row in summary.flat_rows():
                writer.write(row, row)
        return
    total = summary.total
    parts = [f"{total.count} events from {total.first_seen or '-'} to {total.last_seen or '-'}\n"]
    for dimension in DIMENSIONS:
        rows = summary.rows(dimension)
        if not rows:
            continue
        parts.append(
            _table_text(rows[:SUMMARY_TABLE_ROWS], f"{DIMENSION_TITLES[dimension]} ({len(rows)})")
        )
        if len(rows) > SUMMARY_TABLE_ROWS:
            more = len(rows) - SUMMARY_TABLE_ROWS
            parts.append(f"  ... and {more} more (--format csv lists them all)\n")
    _write_text("".join(parts), output_path)


def _table_text(rows: Sequence[dict[str, Any]], title: str) -> str:
    from rich.console import Console  # noqa: PLC0415 - rich loads only for tables
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title, title_justify="left", header_style="bold")
    for name in rows[0]:
        table.add_column(name, overflow="fold", justify="right" if name == "count" else "left")
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(table)
    return "\n" + "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _print_timeline(
    timeline: Timeline, interval: int | None, output_format: str, output_path: str | None
) -> None:
    bounds = timeline.bounds()
    seconds = interval or (choose_interval(*bounds) if bounds else 3600)
    buckets = timeline.buckets(seconds)
    if output_format == "table":
        _write_text(render_chart(buckets, seconds), output_path)
        return
    rows = [
        {"start": bucket.start.strftime("%Y-%m-%dT%H:%M:%SZ"), "count": bucket.count}
        for bucket in buckets
    ]
    with RowWriter(output_format, output_path, columns=["start", "count"]) as writer:
        for row in rows:
            writer.write(row, row)


def _write_text(text: str, output_path: str | None) -> None:
    if output_path:
        Path(output_path).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _write_report(
    path: str,
    query: Query,
    sources: Sequence[str],
    result: SearchResult,
    limit: int | None,
    *,
    api: bool,
) -> None:
    data = ReportData.of(result, **({"max_events": limit} if limit else {}))
    command = ["trailguard", "search", *(["--api"] if api else sources), *query.to_args()]
    context = ReportContext(
        command=shlex.join(command),
        conditions=query.describe(),
        sources=sources,
        files=None if api else result.files,
        skipped_files=result.skipped_files,
        records_read=result.records,
        problems=result.problems,
    )
    try:
        Path(path).write_text(render_report(context, data), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"--report: cannot write {path}: {error.strerror or error}") from None


def _print_totals(
    result: SearchResult, *, api: bool, regions: Sequence[str], report_path: str | None
) -> None:
    if api:
        lookups = (
            ", ".join(f"{key}={value}" for key, value in result.lookups) or "no lookup attribute"
        )
        read = f"{result.records} events from LookupEvents in {', '.join(regions)} ({lookups})"
    else:
        read = (
            f"{result.files} files ({result.skipped_files} skipped by the pre-filter), "
            f"{result.records} records parsed"
        )
    line = f"{len(result)} matching events; {read}; {len(result.problems)} problems"
    if report_path:
        line += f"; report written to {report_path}"
    click.echo(line, err=True)

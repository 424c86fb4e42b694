"""``trailguard filter``: test CloudWatch Logs filter patterns offline, on any volume."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import click
import orjson

from trailguard.cli._inputs import InputReport, pattern_text
from trailguard.errors import InputError
from trailguard.events import from_envelope
from trailguard.patterns.logs_filter import FilterPattern, compile_filter
from trailguard.sources import STDIN, expand_paths
from trailguard.sources.files import read_lines_or_records

MESSAGE_WIDTH = 160


@click.group("filter")
def filter_group() -> None:
    """CloudWatch Logs filter patterns, evaluated exactly as CloudWatch Logs does."""


@filter_group.command("test")
@click.argument("pattern_arg", metavar="PATTERN")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@click.option(
    "--value",
    "selector",
    metavar="SELECTOR",
    help="Also print the value a metric filter would extract ('$.field', '$name' or a number).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the counts.")
def test_command(
    pattern_arg: str, inputs: tuple[str, ...], selector: str | None, quiet: bool
) -> None:
    """Match log events against a filter pattern, like `aws logs test-metric-filter`.

    PATTERN is the filter pattern's text or a file holding it. INPUT is a plain log file (one
    event per line), any CloudTrail source that `pattern test` reads (each record becomes the
    one-line JSON CloudTrail writes to CloudWatch Logs), a folder, or `-` (the default).
    Each match is printed as FILE:LINE, the extracted value if asked, and the message.

    Exit status: 0 if any event matched, 1 if none did, 2 for an invalid pattern or input.

    \b
    Example:
      trailguard filter test \\
          '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }' AWSLogs/
    """
    compiled = compile_filter(pattern_text(pattern_arg))
    report = InputReport()
    total = matched = 0
    for origin, message, document in _log_events(inputs or (STDIN,), report):
        total += 1
        if document is not None:
            is_match = compiled.matches_parsed(document, message)
        else:
            is_match = compiled.matches(message)
        if not is_match:
            continue
        matched += 1
        if not quiet:
            click.echo(_match_line(compiled, origin, message, selector))
    click.echo(f"{matched} of {total} events matched")
    if total == 0 and not report.problems:
        click.echo("trailguard: the input holds no events", err=True)
    if report.problems:
        sys.exit(2)
    sys.exit(0 if matched else 1)


def _log_events(
    inputs: tuple[str, ...], report: InputReport
) -> Iterator[tuple[str, str, Any | None]]:
    """``(origin, message, parsed record or None)`` for each log event of the inputs."""
    for path in expand_paths(inputs):
        report.files += 1
        try:
            is_cloudtrail, items = read_lines_or_records(path)
        except InputError as error:
            report(error)
            continue
        for position, item in items:
            origin = f"{path}:{position}"
            if is_cloudtrail:
                record = from_envelope(item)  # type: ignore[arg-type]
                # CloudTrail writes each record to CloudWatch Logs as one line of compact JSON.
                yield origin, orjson.dumps(record).decode(), record
            else:
                yield origin, str(item), None


def _match_line(compiled: FilterPattern, origin: str, message: str, selector: str | None) -> str:
    shown = message if len(message) <= MESSAGE_WIDTH else message[: MESSAGE_WIDTH - 1] + "…"
    if selector is None:
        return f"{origin}  {shown}"
    value = compiled.extract(message, selector)
    return f"{origin}  {'-' if value is None else f'{value:g}'}  {shown}"

"""``trailguard pattern``: test and validate EventBridge event patterns offline."""

from __future__ import annotations

import sys

import click

from trailguard.cli._inputs import InputReport, iter_input_events, pattern_text
from trailguard.events import CloudTrailEvent, to_envelope
from trailguard.patterns.eventbridge import compile_pattern


@click.group()
def pattern() -> None:
    """EventBridge event patterns, evaluated exactly as EventBridge does."""


@pattern.command("test")
@click.argument("pattern_arg", metavar="PATTERN")
@click.argument("events", nargs=-1, metavar="[EVENTS]...")
@click.option("-m", "--only-matching", is_flag=True, help="Print only the events that match.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the count.")
def test_command(
    pattern_arg: str, events: tuple[str, ...], only_matching: bool, quiet: bool
) -> None:
    """Match CloudTrail events against an event pattern, like `aws events test-event-pattern`.

    PATTERN is the pattern's JSON text or a file holding it. EVENTS are files, folders or `-`
    (the default): CloudTrail records, EventBridge events, trail log files (.json or .json.gz),
    JSON Lines, or `aws cloudtrail lookup-events` output. Records are wrapped in the envelope
    EventBridge would deliver before matching.

    Exit status: 0 if any event matched, 1 if none did, 2 for an invalid pattern or input.

    \b
    Example:
      trailguard pattern test '{"detail":{"eventName":["ConsoleLogin"]}}' AWSLogs/
    """
    compiled = compile_pattern(pattern_text(pattern_arg))
    report = InputReport()
    total = matched = 0
    for _path, _position, event in iter_input_events(events, report):
        total += 1
        is_match = compiled.matches(to_envelope(event))
        matched += is_match
        if quiet or (only_matching and not is_match):
            continue
        click.echo(_event_line(CloudTrailEvent(event), is_match))
    click.echo(f"{matched} of {total} events matched")
    if total == 0 and not report.problems:
        click.echo("trailguard: the input holds no events", err=True)
    if report.problems:
        sys.exit(2)
    sys.exit(0 if matched else 1)


def _event_line(event: CloudTrailEvent, is_match: bool) -> str:
    verdict = "MATCH" if is_match else "no match"
    time = event.get("eventTime", "-")
    return f"{time}  {event.event_name or '-':<32} {event.principal:<40} {verdict}"


@pattern.command("validate")
@click.argument("pattern_arg", metavar="PATTERN")
def validate_command(pattern_arg: str) -> None:
    """Check that PATTERN (JSON text or a file) is a valid event pattern.

    Exit status 0 when valid; 2 with AWS's message when not.
    """
    compile_pattern(pattern_text(pattern_arg))
    click.echo("valid")

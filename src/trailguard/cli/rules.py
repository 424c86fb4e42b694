"""``trailguard rules``: list, show, validate, test and export detection rules."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from trailguard.athena import DEFAULT_TABLE, TableLayout
from trailguard.cli._output import emit, output_options
from trailguard.cli._rules import rule_options, select_rules
from trailguard.errors import ConfigError
from trailguard.rules import Rule, load_rules, pack_directory
from trailguard.rules.export import ATHENA_SQL, EXPORT_FORMATS, athena_script, export_rules


@click.group("rules")
def rules_group() -> None:
    """Detection rules: the built-in pack and your own YAML files."""


@rules_group.command("list")
@rule_options
@output_options
def list_command(
    rule_dirs: tuple[str, ...],
    no_builtin: bool,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    min_severity: str | None,
    output_format: str,
    output_path: str | None,
) -> None:
    """List the rules with their severity, match forms and tags."""
    rules = select_rules(rule_dirs, no_builtin, only, exclude, min_severity)
    emit((_row(rule) for rule in rules), output_format, output_path, title="Rules")


def _row(rule: Rule) -> dict[str, Any]:
    forms = [
        name
        for name, present in (("eventbridge", rule.eventbridge), ("logs_filter", rule.logs_filter))
        if present
    ]
    return {
        "id": rule.id,
        "severity": str(rule.severity),
        "title": rule.title,
        "match": "+".join(forms),
        "threshold": f"{rule.threshold.count} in {rule.threshold.window}s"
        if rule.threshold
        else "",
        "tags": ", ".join(rule.tags),
    }


@rules_group.command("show")
@click.argument("rule_id")
@rule_options
def show_command(
    rule_id: str,
    rule_dirs: tuple[str, ...],
    no_builtin: bool,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    min_severity: str | None,
) -> None:
    """Print one rule's file."""
    rules = {
        rule.id: rule for rule in select_rules(rule_dirs, no_builtin, only, exclude, min_severity)
    }
    rule = rules.get(rule_id)
    if rule is None or rule.location is None:
        raise ConfigError(f"no rule {rule_id!r}; `trailguard rules list` shows them")
    click.echo(Path(rule.location.path).read_text(encoding="utf-8"), nl=False)


@rules_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def validate_command(paths: tuple[str, ...]) -> None:
    """Check rule files (default: the built-in pack) and print every problem with file:line.

    Exit status 0 when all are valid, 1 otherwise. Examples are not run; see `rules test`.
    """
    rules, problems = load_rules(paths or [pack_directory()], check_examples=False)
    _report(len(rules), problems.problems, "valid")


@rules_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
def test_command(paths: tuple[str, ...]) -> None:
    """Check rule files and run every rule's examples against both of its patterns.

    Exit status 0 when every example gives the expected verdict, 1 otherwise.
    """
    rules, problems = load_rules(paths or [pack_directory()])
    examples = sum(len(r.examples.match) + len(r.examples.no_match) for r in rules)
    _report(len(rules), problems.problems, f"passed ({examples} examples)")


def _report(good: int, problems: list[ConfigError], verdict: str) -> None:
    for problem in problems:
        click.echo(f"{problem}", err=True)
    click.echo(f"{good} rules {verdict}, {len(problems)} problems")
    sys.exit(1 if problems else 0)


@rules_group.command("export")
@rule_options
@click.option(
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMATS),
    default="json",
    show_default=True,
)
@click.option("--ddl", is_flag=True, help="athena-sql: print the CREATE TABLE first.")
@click.option(
    "--table",
    default=DEFAULT_TABLE,
    show_default=True,
    metavar="[DB.]NAME",
    help="athena-sql: the CloudTrail table to query.",
)
@click.option(
    "--location",
    metavar="S3URL",
    help="athena-sql --ddl: the trail's folder, s3://bucket/AWSLogs/ACCOUNT/CloudTrail/REGION "
    "(or s3://bucket/AWSLogs/o-ORG with --account and --region); a placeholder by default.",
)
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="ID",
    help="athena-sql --ddl: an account of an organization trail (repeatable; with --region).",
)
@click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="REGION",
    help="athena-sql --ddl: a region of an organization trail (repeatable; with --account).",
)
def export_command(
    rule_dirs: tuple[str, ...],
    no_builtin: bool,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    min_severity: str | None,
    export_format: str,
    ddl: bool,
    table: str,
    location: str | None,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
) -> None:
    """Print the rules as native AWS artefacts, or as Athena SQL.

    \b
    eventbridge     one EventBridge event pattern per rule (for PutRule)
    metric-filters  a PutMetricFilter and a PutMetricAlarm definition per logs_filter rule
    json            every rule with both forms and its metadata
    athena-sql      one SELECT per rule on the standard CloudTrail Athena table

    Athena SQL is printed only for rules SQL can express exactly; the others are named, with
    the reason, on standard error and in the script's header. Thresholds are not applied: a
    threshold rule's SELECT lists every matching event. See docs/athena-notes.md.

    \b
    Examples:
      trailguard rules export --format athena-sql > rules.sql
      trailguard rules export --format athena-sql --ddl \\
        --location s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1
    """
    rules = select_rules(rule_dirs, no_builtin, only, exclude, min_severity)
    if export_format != ATHENA_SQL:
        given = [
            name
            for name, value in (
                ("--ddl", ddl),
                ("--table", table != DEFAULT_TABLE),
                ("--location", location),
                ("--account", accounts),
                ("--region", regions),
            )
            if value
        ]
        if given:
            raise click.UsageError(f"{given[0]} applies to --format athena-sql")
        click.echo(
            orjson.dumps(export_rules(rules, export_format), option=orjson.OPT_INDENT_2).decode()
        )
        return
    if not ddl and (location or accounts or regions):
        raise click.UsageError("--location, --account and --region describe the table for --ddl")
    layout = TableLayout(table=table, location=location, accounts=accounts, regions=regions)
    script = athena_script(rules, layout, ddl=ddl)
    click.echo(script.render(), nl=False)
    for rule_id, problems in script.skipped:
        for problem in problems:
            click.echo(f"trailguard: note: {rule_id} not exported: {problem}", err=True)
    for note in script.notes:
        click.echo(f"trailguard: note: {note}", err=True)

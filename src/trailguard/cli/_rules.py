"""Rule selection shared by the commands that run rules (--rules, --only, --exclude ...)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from trailguard.errors import ConfigError
from trailguard.rules import Rule, Severity, load_rules, pack_directory, selects

F = TypeVar("F", bound=Callable[..., Any])
SEVERITIES = [str(s) for s in Severity]


def rule_options(function: F) -> F:
    """Add the rule selection options to a command."""
    options = [
        click.option(
            "--rules",
            "rule_dirs",
            multiple=True,
            type=click.Path(exists=True),
            help="A rule file or folder, added to the built-in pack (repeatable).",
        ),
        click.option("--no-builtin", is_flag=True, help="Do not load the built-in rule pack."),
        click.option(
            "--only",
            multiple=True,
            metavar="ID|TAG",
            help="Run only rules with this id (globs allowed) or tag; repeatable, comma-separated.",
        ),
        click.option("--exclude", multiple=True, metavar="ID|TAG", help="Leave these rules out."),
        click.option(
            "--min-severity",
            type=click.Choice(SEVERITIES),
            help="Run only rules of at least this severity.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def split_list(values: Sequence[str]) -> list[str]:
    """Repeated and comma-separated option values as one list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def select_rules(
    rule_dirs: Sequence[str],
    no_builtin: bool,
    only: Sequence[str],
    exclude: Sequence[str],
    min_severity: str | None,
) -> list[Rule]:
    """Load and select rules; every problem in any rule file is printed, then exit 2."""
    paths = ([] if no_builtin else [str(pack_directory())]) + list(rule_dirs)
    if not paths:
        raise ConfigError("no rules: give --rules DIR or drop --no-builtin")
    rules, problems = load_rules(paths)
    if problems:
        for problem in problems.problems:
            click.echo(f"trailguard: error: {problem}", err=True)
        raise click.exceptions.Exit(2)
    wanted, unwanted = split_list(only), split_list(exclude)
    chosen = [
        rule
        for rule in rules
        if (not wanted or selects(rule, wanted))
        and not selects(rule, unwanted)
        and (min_severity is None or rule.severity >= Severity.parse(min_severity))
    ]
    if not chosen:
        raise ConfigError("no rule is left after --only / --exclude / --min-severity")
    return chosen

"""``trailguard search --format athena-sql``: print the query as SQL instead of searching."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from trailguard.athena import DEFAULT_TABLE, TableLayout, query_select, render_ddl
from trailguard.errors import ConfigError
from trailguard.investigate import Query

ATHENA_SQL = "athena-sql"
F = TypeVar("F", bound=Callable[..., Any])


def athena_options(function: F) -> F:
    """Add ``--ddl`` (for ``--format athena-sql``) to a command."""
    return click.option(
        "--ddl",
        is_flag=True,
        help="With --format athena-sql: print the CloudTrail table's CREATE TABLE first.",
    )(function)


def print_athena_sql(
    query: Query,
    *,
    ddl: bool,
    output_path: str | None,
    sources: tuple[str, ...],
    others: Mapping[str, object],
) -> None:
    """Print (or write to ``output_path``) the SELECT for the query; no record is read.

    ``others`` are the options that make no sense without searching (``--summary`` ...): any
    that is set is a usage error, and so is SOURCE.
    """
    given = [name for name, value in others.items() if value]
    if given:
        raise click.UsageError(f"{given[0]} needs a search; --format athena-sql only prints SQL")
    if sources:
        raise click.UsageError("--format athena-sql reads no SOURCE: it prints SQL for Athena")
    blocks = [render_ddl(TableLayout())] if ddl else []
    blocks.append(query_select(query, DEFAULT_TABLE))
    text = "\n\n".join(blocks) + "\n"
    if output_path is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output_path).write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"--output: cannot write {output_path}: {error.strerror}") from None

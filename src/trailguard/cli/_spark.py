"""``--engine spark`` for ``scan`` and ``search``: the options, their checks and the session."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from trailguard.investigate import Query, SearchResult
from trailguard.spark.output import OUTPUT_FORMATS, SparkOutput
from trailguard.spark.search import SearchWritten, search_on_spark
from trailguard.spark.session import DEFAULT_MASTER, parse_conf, spark_session
from trailguard.spark.sources import S3Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

F = TypeVar("F", bound=Callable[..., Any])
ENGINES = ("local", "spark")


def engine_options(function: F) -> F:
    """Add ``--jobs`` (the local engine's processes), ``--engine`` and the Spark options."""
    options = [
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(1, 64),
            default=1,
            show_default=True,
            help="Processes reading files in parallel (--engine local).",
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="local",
            show_default=True,
            help="Run on this machine, or on Apache Spark (needs the spark extra: "
            "pip install 'trailguard[spark]'). Both give the same results.",
        ),
        click.option(
            "--spark-master",
            metavar="URL",
            help=f"With --engine spark: where to run: {DEFAULT_MASTER} (default, this machine's "
            "cores), local[2], yarn (EMR), spark://HOST:7077, k8s://...",
        ),
        click.option(
            "--spark-conf",
            multiple=True,
            metavar="KEY=VALUE",
            help="With --engine spark: a Spark setting, e.g. spark.executor.memory=4g. Repeatable.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def check_engine(
    engine: str,
    *,
    sources: Sequence[str],
    jobs: int,
    output_format: str,
    output_path: str | None,
    spark_master: str | None,
    spark_conf: Sequence[str],
    collected: Sequence[str] = (),
    api: bool = False,
) -> SparkOutput | None:
    """Raise UsageError for options the engine cannot honour; where Spark writes, if it does.

    ``collected`` names the options given that need the results on this machine.
    """
    if engine == "local":
        if output_format == "parquet":
            raise click.UsageError("--format parquet is written by Spark: add --engine spark")
        if spark_master or spark_conf:
            raise click.UsageError("--spark-master and --spark-conf apply to --engine spark")
        return None
    parse_conf(spark_conf)
    if api:
        raise click.UsageError("--engine spark searches files and s3:// prefixes, not --api")
    if jobs != 1:
        raise click.UsageError(
            "--jobs applies to --engine local; on Spark the cluster decides how many tasks run"
        )
    if not sources or "-" in sources:
        raise click.UsageError(
            "--engine spark reads files, folders and s3:// prefixes, not standard input"
        )
    if output_path is None:
        if output_format == "parquet":
            raise click.UsageError("--format parquet needs --output DIR (a directory Spark writes)")
        return None
    if output_format not in OUTPUT_FORMATS:
        raise click.UsageError(
            "with --engine spark, --output is a directory Spark writes in --format jsonl or "
            "parquet; table, json and csv print to standard output"
        )
    if collected:
        raise click.UsageError(
            f"{', '.join(collected)} and --output DIR (a folder Spark writes) cannot be "
            "combined: drop one"
        )
    if "://" not in output_path and Path(output_path).exists():
        raise click.UsageError(f"--output {output_path}: already exists; Spark writes a new folder")
    return SparkOutput(output_path, output_format)


def open_session(spark_master: str | None, spark_conf: Sequence[str]) -> SparkSession:
    """The Spark session for the options (an active one is reused)."""
    return spark_session(spark_master or DEFAULT_MASTER, spark_conf)


def search_with_spark(
    sources: Sequence[str],
    query: Query,
    *,
    spark_master: str | None,
    spark_conf: Sequence[str],
    profile: str | None,
    output: SparkOutput | None,
) -> SearchResult:
    """Search on Spark; the matches for printing, or (after writing them) exit like ``search``."""
    found = search_on_spark(
        open_session(spark_master, spark_conf),
        sources,
        query,
        s3=S3Settings.from_environment(profile),
        output=output,
        on_problem=lambda problem: click.echo(f"trailguard: skipped: {problem}", err=True),
    )
    if not isinstance(found, SearchWritten):
        return found
    assert output is not None
    click.echo(
        f"{found.matches} matching events written to {output.path} ({output.format}); "
        f"{found.files} files ({found.skipped_files} skipped by the pre-filter), "
        f"{found.records} records parsed; {len(found.problems)} problems",
        err=True,
    )
    # search's exit status: 2 unreadable sources, 1 nothing found.
    raise click.exceptions.Exit(2 if found.problems else 0 if found.matches else 1)

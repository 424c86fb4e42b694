"""Results written by Spark to a directory of part files: JSON Lines or Parquet.

JSON Lines part files hold exactly the lines ``--format jsonl`` prints; Parquet has one column
per field and the record as JSON text (records have no fixed schema). Part files are written in
eventTime order: part-00000 holds the oldest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from trailguard.errors import ConfigError

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

OUTPUT_FORMATS = ("jsonl", "parquet")
ALERT_SCHEMA = (
    "eventTime string, severity string, rule string, title string, principal string, "
    "eventName string, account string, region string, sourceIPAddress string, "
    "errorCode string, count long, eventID string, eventSource string, principalArn string, "
    "relatedEventIDs array<string>, record string"
)
EVENT_SCHEMA = (
    "eventTime string, eventID string, eventName string, eventSource string, "
    "awsRegion string, recipientAccountId string, record string"
)


def _names(schema: str) -> tuple[str, ...]:
    return tuple(column.split()[0] for column in schema.split(", "))


ALERT_SCHEMA_NAMES = _names(ALERT_SCHEMA)
EVENT_SCHEMA_NAMES = _names(EVENT_SCHEMA)


@dataclass(frozen=True)
class SparkOutput:
    """Where Spark writes the results (a new directory, local or s3a://) and in which format."""

    path: str
    format: str = "jsonl"

    def __post_init__(self) -> None:
        if self.format not in OUTPUT_FORMATS:
            choices = ", ".join(OUTPUT_FORMATS)
            raise ConfigError(f"Spark writes {choices}, not {self.format!r}")


def alert_row(alert: Mapping[str, Any]) -> tuple[Any, ...]:
    """An alert's ``to_dict`` as a row of ``ALERT_SCHEMA``."""
    return (
        *(alert[name] for name in ALERT_SCHEMA_NAMES[:-1]),
        orjson.dumps(alert["record"]).decode(),
    )


def event_row(record: Mapping[str, Any]) -> tuple[Any, ...]:
    """A CloudTrail record as a row of ``EVENT_SCHEMA``."""
    values = [record.get(name) for name in EVENT_SCHEMA_NAMES[:-1]]
    return (
        *(value if isinstance(value, str) else None for value in values),
        orjson.dumps(record).decode(),
    )


def write_lines(
    spark: SparkSession,
    lines: RDD[bytes],
    output: SparkOutput,
    *,
    schema: str,
    to_row: Callable[[Mapping[str, Any]], tuple[Any, ...]],
) -> None:
    """Write JSON lines (already in order) as JSON Lines or Parquet part files under the path."""
    from pyspark.errors import PySparkException  # noqa: PLC0415 - PySpark is optional

    if output.format == "jsonl":
        frame = spark.createDataFrame(lines.map(lambda line: (line.decode(),)), "value string")
    else:
        frame = spark.createDataFrame(lines.map(lambda line: to_row(orjson.loads(line))), schema)
    try:
        if output.format == "jsonl":
            frame.write.text(output.path)
        else:
            frame.write.parquet(output.path)
    except PySparkException as error:
        if "PATH_ALREADY_EXISTS" in str(error):
            raise ConfigError(f"{output.path}: already exists; give a new directory") from None
        raise ConfigError(f"{output.path}: Spark could not write it: {error}") from None

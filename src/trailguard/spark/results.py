"""Alerts read back from files: ``scan --format jsonl`` output, or the folders Spark wrote.

A folder holds part files (``part-00000...``) beside Spark's markers (``_SUCCESS``, ``.crc``
files), which are skipped. JSON Lines part files are read here; Parquet needs PySpark, so a
session is asked for only when a Parquet file is met.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from trailguard.alerts import Alert
from trailguard.errors import InputError, Location
from trailguard.sources.files import read_bytes

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARQUET_SUFFIX = ".parquet"


def result_files(path: str) -> list[str]:
    """The file itself, or the part files of a folder in name order (the order they hold)."""
    folder = Path(path)
    if not folder.is_dir():
        return [path]
    return [
        str(child)
        for child in sorted(folder.iterdir())
        if child.is_file() and not child.name.startswith(("_", "."))
    ]


def read_alerts(path: str, spark: Callable[[], SparkSession] | None = None) -> Iterator[Alert]:
    """Every alert in a JSON Lines file, a Parquet file, or a folder of part files.

    Raises InputError naming the file and line of anything that is not an alert; ``spark``
    gives the session that reads Parquet (ConfigError without one).
    """
    for name in result_files(path):
        if name.endswith(PARQUET_SUFFIX):
            yield from _parquet_alerts(name, spark)
        else:
            yield from _json_lines_alerts(name)


def _json_lines_alerts(name: str) -> Iterator[Alert]:
    for number, line in enumerate(read_bytes(name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield _alert(orjson.loads(line))
        except orjson.JSONDecodeError as error:
            raise InputError(f"not JSON: {error}", location=Location(name, number)) from None
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(
                f"not an alert: {_reason(error)}", location=Location(name, number)
            ) from None


def _parquet_alerts(name: str, spark: Callable[[], SparkSession] | None) -> Iterator[Alert]:
    if spark is None:
        raise InputError("reading Parquet needs Spark", location=Location(name))
    for number, row in enumerate(spark().read.parquet(name).toLocalIterator(), start=1):
        data = row.asDict(recursive=True)
        try:
            data["record"] = orjson.loads(data["record"])
            yield _alert(data)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(
                f"row {number} is not an alert: {_reason(error)}", location=Location(name)
            ) from None


def _alert(data: Any) -> Alert:
    if not isinstance(data, Mapping) or not isinstance(data.get("record"), Mapping):
        raise TypeError("expected an object with a record, as scan --format jsonl writes")
    return Alert.from_dict(data)


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r} field"
    return str(error)

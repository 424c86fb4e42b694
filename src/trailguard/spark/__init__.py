"""Scan and search on Apache Spark: the same engines, run inside Spark executors.

The driver lists and prunes the input files exactly as the single-machine engine does; the files
are then split across executors, which evaluate the records with trailguard's own rule and query
engines (compiled once per partition). Whatever needs an order across files (threshold rules,
time-ordered output) is done with Spark's grouping and sorting. PySpark is the optional extra
``trailguard[spark]``; this package imports it only when a session is asked for.
"""

from __future__ import annotations

from trailguard.spark.output import OUTPUT_FORMATS, SparkOutput
from trailguard.spark.results import read_alerts
from trailguard.spark.scan import SparkScanResult, scan_on_spark
from trailguard.spark.search import SearchWritten, search_on_spark
from trailguard.spark.session import DEFAULT_MASTER, parse_conf, require_pyspark, spark_session
from trailguard.spark.sources import S3Settings

__all__ = [
    "DEFAULT_MASTER",
    "OUTPUT_FORMATS",
    "S3Settings",
    "SearchWritten",
    "SparkOutput",
    "SparkScanResult",
    "parse_conf",
    "read_alerts",
    "require_pyspark",
    "scan_on_spark",
    "search_on_spark",
    "spark_session",
]

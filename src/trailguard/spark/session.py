"""A SparkSession from a master URL and ``KEY=VALUE`` settings, quiet unless asked otherwise."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from trailguard.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties").as_uri()
MISSING_EXTRA = "the Spark engine needs the spark extra: pip install 'trailguard[spark]'"
# A command's output is its alerts: no web UI, no progress bars, only warnings from the JVM.
QUIET_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "WARN",
}


def require_pyspark() -> None:
    """Raise ConfigError naming the extra to install when PySpark is missing."""
    try:
        import pyspark.sql  # noqa: F401, PLC0415 - PySpark is optional
    except ImportError:
        raise ConfigError(MISSING_EXTRA) from None


def parse_conf(pairs: Sequence[str]) -> dict[str, str]:
    """``["spark.executor.memory=4g", ...]`` -> a dict; raises ConfigError on a malformed pair."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ConfigError(
                f"--spark-conf {pair!r}: expected KEY=VALUE, e.g. spark.executor.memory=4g"
            )
        conf[key.strip()] = value.strip()
    return conf


def spark_session(master: str = DEFAULT_MASTER, conf: Sequence[str] = ()) -> SparkSession:
    """The SparkSession for ``master`` (``local[*]``, ``yarn``, ``spark://host:7077`` ...).

    ``conf`` pairs override the quiet defaults (``spark.log.level=INFO`` brings the logs back).
    An active session is reused, as Spark's ``getOrCreate`` does (``spark-submit``, notebooks,
    Glue jobs and tests create theirs first).
    """
    settings = QUIET_DEFAULTS | parse_conf(conf)
    require_pyspark()
    from pyspark.sql import SparkSession  # noqa: PLC0415 - PySpark is optional

    if master.startswith("local"):
        if "PYSPARK_PYTHON" not in os.environ:
            # Local Python workers must run this interpreter (the one trailguard is installed
            # in), not whichever python3 comes first on PATH.
            os.environ["PYSPARK_PYTHON"] = sys.executable
        # Quiet start-up chatter; only here, since a cluster's defaults set their own options.
        settings.setdefault(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG_CONFIG}"
        )
    builder = SparkSession.builder.master(master).appName("trailguard")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()

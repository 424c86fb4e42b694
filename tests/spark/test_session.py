"""The Spark session's settings, and a clear error when PySpark is not installed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from trailguard.cli import main
from trailguard.errors import ConfigError
from trailguard.spark import parse_conf, require_pyspark

from .conftest import SAMPLE


def test_conf_pairs_become_settings() -> None:
    assert parse_conf(["spark.executor.memory=4g", "spark.a = b=c"]) == {
        "spark.executor.memory": "4g",
        "spark.a": "b=c",
    }


@pytest.mark.parametrize("pair", ["spark.executor.memory", "=4g", "spark.x="])
def test_a_malformed_pair_is_named(pair: str) -> None:
    with pytest.raises(ConfigError, match=f"--spark-conf '{pair}': expected KEY=VALUE"):
        parse_conf([pair])


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail as if PySpark were not installed.
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ConfigError, match=r"pip install 'trailguard\[spark\]'"):
        require_pyspark()
    for command in ("scan", "search"):
        result = CliRunner().invoke(main, [command, str(SAMPLE), "--engine", "spark"])
        assert result.exit_code == 2
        assert "the Spark engine needs the spark extra" in result.stderr
        assert "Traceback" not in result.output


def test_the_package_imports_without_loading_pyspark() -> None:
    """trailguard.spark (and the CLI) load PySpark only when a Spark engine runs."""
    code = (
        "import sys, trailguard.spark, trailguard.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

"""One local Spark session (local[2]) shared by every Spark test; the CLI reuses it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-trail"
THRESHOLD_RULES = {"unauthorized-api-call", "access-denied-burst-by-principal"}
# Executors are started with the session, before any test sets AWS variables: moto's fake
# credentials reach them this way (the endpoint travels in S3Settings).
EXECUTOR_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_MAX_ATTEMPTS": "1",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    from trailguard.spark import spark_session  # noqa: PLC0415 - after the skip

    conf = [f"spark.executorEnv.{key}={value}" for key, value in EXECUTOR_ENV.items()]
    session = spark_session("local[2]", [*conf, "spark.sql.shuffle.partitions=2"])
    yield session
    session.stop()


@pytest.fixture
def trail_copy(tmp_path: Path) -> Path:
    """A copy of the sample archive that a test may add files to."""
    target = tmp_path / "trail"
    shutil.copytree(SAMPLE, target)
    return target

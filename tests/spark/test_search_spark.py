"""A search on Spark finds exactly what the single-machine search finds, in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trailguard.investigate import Query, SearchResult, search_files
from trailguard.spark import SearchWritten, SparkOutput, search_on_spark

from .conftest import SAMPLE

QUERIES = {
    "access key": Query(access_keys=("AKIAW9X2Q2U25SK79UCX",)),
    "deletes": Query(event_names=("Delete*",), read_only=False),
    "failed calls from a block": Query(source_ips=("200.249.253.0/24",), errors=True),
}


@pytest.mark.parametrize("name", QUERIES)
def test_queries_give_identical_results(spark: Any, name: str) -> None:
    query = QUERIES[name]
    local = search_files([str(SAMPLE)], query)
    on_spark = search_on_spark(spark, [str(SAMPLE)], query)
    assert isinstance(on_spark, SearchResult)
    assert list(on_spark) == list(local)
    assert len(on_spark) > 0
    assert (on_spark.files, on_spark.skipped_files, on_spark.records) == (
        local.files,
        local.skipped_files,
        local.records,
    )
    assert on_spark.problems == local.problems


def test_matches_written_as_parquet(spark: Any, tmp_path: Path) -> None:
    query = QUERIES["access key"]
    target = tmp_path / "events"
    written = search_on_spark(
        spark, [str(SAMPLE)], query, output=SparkOutput(str(target), "parquet")
    )
    local = list(search_files([str(SAMPLE)], query))
    assert isinstance(written, SearchWritten)
    assert written.matches == len(local) == 56
    rows = spark.read.parquet(str(target)).orderBy("eventTime", "eventID").collect()
    assert [row.eventID for row in rows] == [record["eventID"] for record in local]
    assert {row.awsRegion for row in rows} == {record["awsRegion"] for record in local}

"""A scan on Spark gives exactly the alerts of the single-machine scan."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from trailguard.detect import RuleSet
from trailguard.errors import ConfigError
from trailguard.rules import load_pack
from trailguard.scan import ScanWindow, scan
from trailguard.spark import SparkOutput, scan_on_spark

from .conftest import SAMPLE, THRESHOLD_RULES

PACK = load_pack()


def both(sources: list[str], spark: Any, window: ScanWindow | None = None) -> tuple[Any, Any]:
    local = scan(sources, RuleSet(PACK), window=window)
    on_spark = scan_on_spark(spark, sources, PACK, window=window)
    return local, on_spark


def test_sample_archive_gives_identical_alerts_thresholds_included(spark: Any) -> None:
    local, on_spark = both([str(SAMPLE)], spark)
    assert [a.to_dict() for a in on_spark.alerts] == [a.to_dict() for a in local.alerts]
    assert len(on_spark.alerts) == 64
    assert {a.rule_id for a in on_spark.alerts} >= THRESHOLD_RULES
    assert any(a.count > 1 and a.related_event_ids for a in on_spark.alerts)
    assert (on_spark.files, on_spark.records) == (local.files, local.records) == (58, 615)
    assert on_spark.by_rule() == local.by_rule()
    assert on_spark.problems == local.problems == []


def test_since_until_prune_the_same_files_and_alerts(spark: Any) -> None:
    window = ScanWindow(since="2024-08-01T00:00:00Z", until="2024-08-01T23:59:59Z")
    local, on_spark = both([str(SAMPLE)], spark, window)
    assert [a.to_dict() for a in on_spark.alerts] == [a.to_dict() for a in local.alerts]
    assert 0 < len(on_spark.alerts) < 64
    assert 0 < on_spark.files == local.files < 58
    assert on_spark.records == local.records
    assert all(a.event_time.startswith("2024-08-01") for a in on_spark.alerts)


def test_a_corrupt_file_is_reported_and_skipped_like_the_local_scan(
    spark: Any, trail_copy: Path
) -> None:
    day = next(trail_copy.rglob("*.json")).parent
    corrupt = day / "070411556318_CloudTrail_us-east-1_20240801T1305Z_corrupt0000000000.json.gz"
    corrupt.write_bytes(gzip.compress(b'{"Records": [{"eventTime": "2024-08')[:-6])
    bad_json = day / "070411556318_CloudTrail_us-east-1_20240801T1310Z_badjson000000000.json"
    record = json.loads(next(trail_copy.rglob("*.json")).read_text())["Records"][0]
    bad_json.write_text(json.dumps(record) + "\nnot json\n")
    local, on_spark = both([str(trail_copy)], spark)
    assert on_spark.problems == local.problems
    assert len(on_spark.problems) == 2
    assert str(corrupt) in on_spark.problems[0]
    assert "corrupt gzip data" in on_spark.problems[0]
    assert f"{bad_json}:2" in on_spark.problems[1]
    assert [a.to_dict() for a in on_spark.alerts] == [a.to_dict() for a in local.alerts]
    assert on_spark.files == local.files == 60


def test_alerts_written_as_json_lines_are_the_alerts(spark: Any, tmp_path: Path) -> None:
    target = tmp_path / "alerts"
    result = scan_on_spark(spark, [str(SAMPLE)], PACK, output=SparkOutput(str(target)))
    local = scan([str(SAMPLE)], RuleSet(PACK))
    lines = [
        json.loads(line)
        for part in sorted(target.glob("part-*"))
        for line in part.read_text().splitlines()
    ]
    assert lines == [json.loads(json.dumps(a.to_dict())) for a in local.alerts]
    assert result.alerts == []
    assert result.by_rule() == local.by_rule()


def test_rules_not_loaded_from_files_are_refused(spark: Any) -> None:
    with pytest.raises(ConfigError, match="was not loaded from a file"):
        scan_on_spark(spark, [str(SAMPLE)], [replace(PACK[0], location=None)])

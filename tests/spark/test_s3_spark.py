"""Spark reads s3a:// sources through boto3 in its executors (moto server over real HTTP)."""

from __future__ import annotations

import gzip
from typing import Any

import boto3

from trailguard.detect import RuleSet
from trailguard.rules import load_pack
from trailguard.scan import scan
from trailguard.spark import S3Settings, scan_on_spark

from .conftest import SAMPLE, THRESHOLD_RULES


def test_an_s3_archive_gives_the_alerts_of_the_local_scan(spark: Any, aws: str) -> None:
    client = boto3.client("s3")
    client.create_bucket(
        Bucket="trail", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    for path in sorted(SAMPLE.rglob("*.json")):
        key = f"{path.relative_to(SAMPLE).as_posix()}.gz"
        client.put_object(Bucket="trail", Key=key, Body=gzip.compress(path.read_bytes()))
    client.put_object(
        Bucket="trail",
        Key="AWSLogs/070411556318/CloudTrail/us-east-1/2024/08/01/"
        "070411556318_CloudTrail_us-east-1_20240801T1300Z_broken0000000000.json.gz",
        Body=gzip.compress(b'{"Records": [')[:-8],
    )
    rules = load_pack()
    local = scan(["s3://trail/AWSLogs/"], RuleSet(rules), s3_client_factory=lambda: client)
    settings = S3Settings.from_environment()
    assert settings.endpoint_url == aws
    on_spark = scan_on_spark(spark, ["s3a://trail/AWSLogs/"], rules, s3=settings)
    assert [a.to_dict() for a in on_spark.alerts] == [a.to_dict() for a in local.alerts]
    assert {a.rule_id for a in on_spark.alerts} >= THRESHOLD_RULES
    assert (on_spark.files, on_spark.records) == (local.files, local.records)
    assert on_spark.files > 50
    assert on_spark.problems == local.problems
    assert on_spark.problems[0].startswith("s3://trail/AWSLogs/070411556318/")
    assert "corrupt gzip data" in on_spark.problems[0]

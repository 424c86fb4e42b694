"""The CloudTrail table's DDL and the column model."""

from __future__ import annotations

import re

import pytest

from trailguard.athena import TableLayout, render_ddl
from trailguard.athena.table import COLUMNS, LOCATION_PLACEHOLDER, Kind, column
from trailguard.errors import ConfigError


def test_single_trail_ddl_is_awss_partition_projection_sample() -> None:
    ddl = render_ddl(
        TableLayout(location="s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/")
    )
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs (")
    assert "PARTITIONED BY (`timestamp` STRING)" in ddl
    assert "LOCATION 's3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/'" in ddl
    assert (
        "'storage.location.template' = "
        "'s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/${timestamp}'"
    ) in ddl
    assert "'projection.timestamp.format' = 'yyyy/MM/dd'" in ddl
    assert "com.amazon.emr.cloudtrail.CloudTrailInputFormat" in ddl


def test_org_trail_ddl_projects_accounts_and_regions() -> None:
    ddl = render_ddl(
        TableLayout(
            table="security.trail",
            location="s3://org-trail/AWSLogs/o-abc123",
            accounts=("111122223333", "444455556666"),
            regions=("us-east-1",),
        )
    )
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS security.trail (" in ddl
    assert "PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)" in ddl
    assert "'projection.account.values' = '111122223333,444455556666'" in ddl
    assert ("'s3://org-trail/AWSLogs/o-abc123/${account}/CloudTrail/${region}/${timestamp}'") in ddl


def test_without_a_location_the_ddl_says_what_to_replace() -> None:
    ddl = render_ddl(TableLayout())
    assert ddl.startswith(f"-- Replace {LOCATION_PLACEHOLDER}")
    assert f"LOCATION '{LOCATION_PLACEHOLDER}/'" in ddl


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"table": "drop table;"}, "--table: 'drop table;' is not a table name"),
        ({"location": "trail-bucket/AWSLogs"}, "--location: 'trail-bucket/AWSLogs' is not"),
        ({"location": "s3://b'x/AWSLogs"}, "is not an s3://bucket/prefix URL"),
        ({"accounts": ("111122223333",)}, "--account and --region go together"),
        ({"accounts": ("1",), "regions": ("us-east-1",)}, "--account: '1' is not a 12-digit"),
        ({"accounts": ("111122223333",), "regions": ("US",)}, "--region: 'US' is not a region"),
    ],
)
def test_bad_layouts_name_the_option(layout: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        TableLayout(**layout)  # type: ignore[arg-type]


def test_record_fields_map_to_the_tables_columns() -> None:
    assert column("sourceIPAddress")[0].sql == "sourceipaddress"
    assert column("userIdentity.sessionContext.sessionIssuer.userName")[0].sql == (
        "useridentity.sessioncontext.sessionissuer.username"
    )
    assert COLUMNS["readOnly"].kind is Kind.BOOLEAN
    found, keys = column("requestParameters.bucketName")
    assert (found.sql, found.kind, keys) == ("requestparameters", Kind.JSON, ("bucketName",))
    with pytest.raises(KeyError, match="not in the standard CloudTrail table"):
        column("eventCategory")
    # EventBridge paths are case-sensitive: a misspelt field is simply not a column.
    with pytest.raises(KeyError):
        column("sourceIpAddress")

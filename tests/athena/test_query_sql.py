"""Search queries as SQL: the same records as ``trailguard search`` finds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.athena import Untranslatable, query_select
from trailguard.athena.dialect import DUCKDB
from trailguard.errors import ConfigError
from trailguard.investigate import Query

QUERIES = [
    Query(event_names=("ConsoleLogin",)),
    Query(event_names=("Describe*", "Get?ucket*", "ListBuckets")),
    Query(exclude_event_names=("Describe*", "List*", "Get*")),
    Query(event_sources=("iam", "sts.amazonaws.com")),
    Query(users=("*admin*",)),
    Query(users=("stratus-red-team-*",)),
    Query(principal_arns=("arn:aws:iam::*:role/*",)),
    Query(access_keys=("AKIAW9X2Q2U25SK79UCX", "AKIAIOSFODNN7EXAMPLE")),
    Query(regions=("us-east-1", "eu-west-1")),
    Query(accounts=("111122223333", "123456789012")),
    Query(read_only=True),
    Query(read_only=False),
    Query(errors=True),
    Query(error_codes=("AccessDenied*", "*UnauthorizedOperation")),
    Query(resource_types=("AWS::IAM::*",)),
    Query(resource_names=("*bucket*",)),
    Query(resource_names=("arn:aws:iam::*",)),
    Query(event_ids=("2a5178c8-b4c7-44ba-b066-1ecc79b7087c", "nope")),
    Query(
        since=datetime(2024, 8, 1, 12, tzinfo=UTC), until=datetime(2024, 8, 2, 8, 30, tzinfo=UTC)
    ),
    Query(event_patterns=('{"detail": {"userIdentity": {"type": ["Root"]}}}',)),
    Query(filter_patterns=('{$.errorCode = "AccessDenied*"}',), read_only=False),
]


def where_of(statement: str) -> str:
    return statement.split("\nWHERE ", 1)[1].rstrip().rstrip(";")


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: " ".join(query.to_args())[:70])
def test_sql_selects_what_search_finds(
    query: Query, real_records: list[dict[str, Any]], real_table: Any
) -> None:
    compiled = query.compile()
    expected = {n for n, record in enumerate(real_records) if compiled.matches(record)}
    sql = query_select(query, "cloudtrail_logs", DUCKDB)
    assert real_table.statement(sql) == expected
    assert expected, "the query should find something in the real records"


def test_time_window_prunes_day_partitions_with_the_s3_sources_slack() -> None:
    sql = query_select(
        Query(since=datetime(2026, 1, 31, 22, tzinfo=UTC), until=datetime(2026, 2, 1, tzinfo=UTC)),
        "logs",
    )
    assert "\"timestamp\" >= '2026/01/31'" in sql
    assert "\"timestamp\" <= '2026/02/02'" in sql
    assert "eventtime <= '2026-02-01T00:00:00Z'" in sql


def test_source_ips_match_names_exactly_and_addresses_by_network() -> None:
    sql = query_select(Query(source_ips=("ec2.amazonaws.com", "10.1.2.3/8", "2001:db8::/32")), "t")
    assert "sourceipaddress = 'ec2.amazonaws.com'" in sql
    assert "contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS))" in sql
    assert "contains('2001:db8::/32', TRY_CAST(sourceipaddress AS IPADDRESS))" in sql
    # An IPv4 network only holds dotted IPv4 text, as Python's ipaddress decides.
    assert "regexp_like(sourceipaddress, '\\A(0|[1-9][0-9]{0,2})" in sql


def test_read_only_missing_counts_as_a_write() -> None:
    assert "COALESCE(readonly, '') <> 'true'" in query_select(Query(read_only=False), "t")


def test_the_statement_says_which_search_it_is_and_reads_the_table() -> None:
    sql = query_select(Query(users=("alice",)), "db.trail")
    assert sql.startswith("-- trailguard search --user alice\nSELECT *\nFROM db.trail\nWHERE ")
    assert sql.endswith(";")


def test_a_match_pattern_that_sql_cannot_express_is_named_with_its_option() -> None:
    query = Query(event_patterns=('{"detail": {"eventCategory": ["Data"]}}',))
    with pytest.raises(Untranslatable, match=r"--match detail\.eventCategory: not in the standard"):
        query_select(query, "t")


def test_bad_values_are_the_searchs_own_errors() -> None:
    with pytest.raises(ConfigError, match="--account: '12' is not a 12-digit account id"):
        query_select(Query(accounts=("12",)), "t")

"""Every statement trailguard prints parses as Athena (and, for queries, Trino) SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlglot

from trailguard.athena import TableLayout, query_select, render_ddl, rules_sql
from trailguard.investigate import Query
from trailguard.rules import load_rules, pack_directory


def statements(script: str) -> list[str]:
    return [part for part in script.split(";\n") if part.strip()]


def test_the_packs_export_parses_as_athena_and_trino() -> None:
    rules, _ = load_rules([pack_directory()])
    script = rules_sql(rules).render()
    selects = statements(script)
    assert len(selects) == len(rules) - 4  # the four untranslatable rules are named instead
    for statement in selects:
        for dialect in ("athena", "trino"):
            parsed = sqlglot.parse_one(statement, read=dialect)
            assert parsed.find(sqlglot.exp.Where) is not None


@pytest.mark.parametrize(
    "layout",
    [
        TableLayout(),
        TableLayout(
            location="s3://org-trail/AWSLogs/o-abc123",
            accounts=("111122223333",),
            regions=("us-east-1", "eu-west-1"),
        ),
    ],
)
def test_the_ddl_parses_as_athena(layout: TableLayout) -> None:
    parsed = sqlglot.parse_one(render_ddl(layout).rstrip(";"), read="athena")
    assert isinstance(parsed, sqlglot.exp.Create)


def test_a_full_search_parses_as_trino() -> None:
    query = Query(
        since=datetime(2026, 1, 1, tzinfo=UTC),
        event_names=("Describe*",),
        users=("alice",),
        source_ips=("10.0.0.0/8", "ec2.amazonaws.com"),
        resource_names=("bucket",),
        read_only=False,
        event_patterns=('{"detail": {"requestParameters": {"port": [{"numeric": [">", 1]}]}}}',),
        filter_patterns=("{$.additionalEventData.MFAUsed IS NULL}",),
    )
    for dialect in ("athena", "trino"):
        sqlglot.parse_one(query_select(query, "t").rstrip(";"), read=dialect)

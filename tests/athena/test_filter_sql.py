"""CloudWatch Logs JSON filter patterns as SQL, checked against the filter engine."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trailguard.athena import Untranslatable, filter_where
from trailguard.athena.dialect import DUCKDB
from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter import compile_filter
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS as CIS_FILTERS


def test_cis_root_usage_filter_reads_as_plain_sql() -> None:
    sql = filter_where(
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType !="AwsServiceEvent"}'
    )
    assert sql == (
        "useridentity.type = 'Root' AND useridentity.invokedby IS NULL"
        " AND eventtype IS NOT NULL AND NOT eventtype = 'AwsServiceEvent'"
    )


def test_star_globs_become_like_and_a_star_in_the_middle_is_literal() -> None:
    assert filter_where('{$.errorCode = "*Unauthorized*"}') == (
        "errorcode LIKE '%Unauthorized%' ESCAPE '\\'"
    )
    assert filter_where('{$.eventName = "Ev*nt"}') == "eventname = 'Ev*nt'"


def test_paths_at_any_depth_of_a_json_column_translate() -> None:
    # A filter selector never looks inside arrays, like json_extract.
    sql = filter_where("{$.requestParameters.ipPermissions.items[0].toPort > 1024}")
    assert "json_extract(requestparameters, '$.ipPermissions.items[0].toPort')" in sql


def test_an_index_reads_arrays_only_as_the_selector_does() -> None:
    # Trino's json_extract '$.items[0]' would also read an object's key "0".
    sql = filter_where("{$.requestParameters.items[0].port = 22}")
    assert sql.startswith(
        "json_array_length(json_extract(requestparameters, '$.items')) IS NOT NULL"
    )


def test_read_only_checks_its_boolean() -> None:
    assert filter_where("{$.readOnly IS FALSE}") == "readonly = 'false'"


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("ERROR", "only JSON filter patterns"),
        ("{$.errorCode = %Access.*%}", "regular expressions"),
        ("{$.eventName > 5}", "on a STRING column"),
        ("{$.errorCode IS NULL}", "on a STRING column"),
        ("{$.resources[0].ARN = x}", "not a column"),
        ("{$.eventCategory = Management}", "not a column"),
        ("{$.requestParameters.port = 44*}", "a number's text"),
        ("{$.readOnly = true}", "use IS TRUE or IS FALSE"),
        ("{$.requestParameters.* = x}", "wildcard selectors"),
        # null and missing are both NULL in the column; NOT EXISTS tells them apart.
        ("{$.requestParameters NOT EXISTS}", "an object (or null)"),
    ],
)
def test_untranslatable_conditions_are_named(pattern: str, named: str) -> None:
    with pytest.raises(Untranslatable, match=re.escape(named)):
        filter_where(pattern)


def test_an_invalid_filter_gets_awss_message() -> None:
    with pytest.raises(InvalidFilterPattern):
        filter_where("{$.eventName = }")


RECORDS: list[dict[str, Any]] = [
    {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}, "readOnly": False},
    {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "Yes"}, "readOnly": True},
    {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": 0}},
    {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": None}},
    {"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": ["No"]}},
    {"eventName": "PutObject", "requestParameters": {"size": 2048, "name": "1.5", "on": True}},
    {"eventName": "PutObject", "requestParameters": {"size": "2048", "name": 1.5, "on": False}},
    {"eventName": "PutObject", "requestParameters": {"size": None, "items": [{"port": 22}]}},
    {"eventName": "PutObject", "requestParameters": None, "errorCode": "AccessDenied"},
    {"eventVersion": "1.08", "errorCode": "Client.UnauthorizedOperation"},
    {"eventName": "PutObject", "requestParameters": {"items": {"0": {"port": 22}}}},
]

FILTERS = [
    *CIS_FILTERS.values(),
    '{$.additionalEventData.MFAUsed != "Yes"}',
    '{$.additionalEventData.MFAUsed = "No"}',
    "{$.additionalEventData.MFAUsed IS NULL}",
    "{$.additionalEventData.MFAUsed NOT EXISTS}",
    "{$.requestParameters.size = 2048}",
    "{$.requestParameters.size != 2048}",
    "{$.requestParameters.size >= 1000}",
    "{$.requestParameters.size IS NULL}",
    "{$.requestParameters.name = 1.5}",
    "{$.requestParameters.on IS TRUE}",
    "{$.requestParameters.on IS FALSE}",
    "{$.requestParameters.items[0].port = 22}",
    "{$.requestParameters.items[0].port NOT EXISTS}",
    "{$.readOnly IS TRUE || $.readOnly NOT EXISTS}",
    "{$.eventVersion = 1.08}",
    "{($.errorCode = AccessDenied*) || ($.errorCode = *Operation)}",
    '{$.errorCode != "AccessDenied"}',
]


@pytest.mark.parametrize("text", FILTERS)
def test_sql_selects_exactly_what_the_filter_matches(text: str, athena_table: Any) -> None:
    pattern = compile_filter(text)
    sql = filter_where(text, DUCKDB)
    expected = {n for n, record in enumerate(RECORDS) if pattern.matches_parsed(record)}
    assert athena_table(RECORDS).selected(sql) == expected


def test_every_cis_filter_translates() -> None:
    for name, text in CIS_FILTERS.items():
        assert filter_where(text), name


def test_cis_filters_select_on_real_records_what_they_match(
    real_records: list[dict[str, Any]], real_table: Any
) -> None:
    for name, text in CIS_FILTERS.items():
        pattern = compile_filter(text)
        expected = {n for n, record in enumerate(real_records) if pattern.matches_parsed(record)}
        assert real_table.selected(filter_where(text, DUCKDB)) == expected, name

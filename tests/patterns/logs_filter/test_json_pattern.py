"""JSON patterns, mostly over the AWS documentation's own CloudTrail records."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from trailguard.patterns.logs_filter import FilterKind, compile_filter
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS

Record = dict[str, Any]


def pick(records: list[Record], name: str, **where: Any) -> Record:
    """The first record with ``eventName == name`` whose top-level or identity fields match."""
    for record in records:
        fields = {
            **record,
            **record.get("userIdentity", {}),
            **(record.get("additionalEventData") or {}),
        }
        if record.get("eventName") == name and all(fields.get(k) == v for k, v in where.items()):
            return copy.deepcopy(record)
    raise LookupError(name, where)


def line(record: Record) -> str:
    """The record as CloudTrail writes it to CloudWatch Logs: one compact JSON line."""
    return orjson.dumps(record).decode()


def both(pattern: str, record: Record) -> bool:
    """``matches_parsed`` on the record; it must agree with ``matches`` on its line."""
    compiled = compile_filter(pattern)
    parsed = compiled.matches_parsed(record)
    assert compiled.matches(line(record)) is parsed
    return parsed


class TestJsonPatterns:
    def test_kind(self):
        """A pattern in braces is a JSON pattern."""
        assert compile_filter("{ $.eventName = ConsoleLogin }").kind is FilterKind.JSON

    def test_console_sign_in_without_mfa(self, docs_records):
        """CloudWatch.3 flags the IAM user's no-MFA sign-in, not the MFA one nor root's."""
        cis3 = CIS_CLOUDTRAIL_FILTERS["CloudWatch.3"]
        assert both(cis3, pick(docs_records, "ConsoleLogin", type="IAMUser", MFAUsed="No"))
        assert not both(cis3, pick(docs_records, "ConsoleLogin", type="IAMUser", MFAUsed="Yes"))
        assert not both(cis3, pick(docs_records, "ConsoleLogin", type="Root", MFAUsed="No"))

    def test_text_comparison_is_case_sensitive(self, docs_records):
        """Root's ``MFAUsed`` ``YES`` is not ``Yes``, so the CIS v1.2 filter counts it as no-MFA."""
        root_with_mfa = pick(docs_records, "ConsoleLogin", type="Root", MFAUsed="YES")
        pattern = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
        assert both(pattern, root_with_mfa)

    def test_root_usage(self, docs_records):
        """CloudWatch.1 flags root's own calls, and ``!=`` misses a record without the field."""
        cis1 = CIS_CLOUDTRAIL_FILTERS["CloudWatch.1"]
        root_call = pick(docs_records, "EnableMFADevice", type="Root")
        assert both(cis1, root_call)
        del root_call["eventType"]
        assert not both(cis1, root_call)

    def test_not_exists_is_false_for_a_present_or_null_field(self, docs_records):
        """``invokedBy NOT EXISTS`` fails when invokedBy is there, even as null."""
        pattern = "{ $.userIdentity.invokedBy NOT EXISTS }"
        record = pick(docs_records, "GetUserPolicy")
        assert not both(pattern, record)
        record["userIdentity"]["invokedBy"] = None
        assert not both(pattern, record)
        del record["userIdentity"]["invokedBy"]
        assert both(pattern, record)

    def test_console_authentication_failures(self, docs_records):
        """CloudWatch.6 matches only ``errorMessage = "Failed authentication"``."""
        cis6 = CIS_CLOUDTRAIL_FILTERS["CloudWatch.6"]
        assert both(
            cis6,
            pick(
                docs_records,
                "ConsoleLogin",
                type="Root",
                MFAUsed="No",
                errorMessage="Failed authentication",
            ),
        )
        wrong_user = pick(
            docs_records, "ConsoleLogin", errorMessage="No username found in supplied account"
        )
        assert not both(cis6, wrong_user)

    @pytest.mark.parametrize(
        ("error_code", "expected"),
        [
            ("Client.UnauthorizedOperation", True),
            ("UnauthorizedOperation", True),
            ("AccessDenied", True),
            ("AccessDeniedException", True),
            ("TrailNotFoundException", False),
            ("accessdenied", False),
        ],
    )
    def test_unauthorized_api_calls_use_suffix_and_prefix_globs(
        self, docs_records, error_code, expected
    ):
        """``"*UnauthorizedOperation"`` is a suffix glob, ``"AccessDenied*"`` a prefix glob."""
        record = pick(docs_records, "UpdateTrail")
        record["errorCode"] = error_code
        assert both(CIS_CLOUDTRAIL_FILTERS["CloudWatch.2"], record) is expected

    def test_unquoted_value_with_dots(self, docs_records):
        """``$.eventSource=signin.amazonaws.com`` is an ordinary string comparison."""
        record = pick(docs_records, "ConsoleLogin")
        assert both("{($.eventSource=signin.amazonaws.com) && ($.eventName=ConsoleLogin)}", record)
        assert not both("{$.eventSource=signin.amazonaws}", record)

    def test_numbers_compare_by_value_and_strings_by_text(self, docs_records):
        """A number literal compares numbers numerically; a quoted one compares their text."""
        record = pick(docs_records, "StopInstances")
        code = "$.responseElements.instancesSet.items[0].currentState.code"
        assert both(f"{{ {code} = 64 }}", record)
        assert both(f"{{ {code} = 64.0 }}", record)
        assert both(f"{{ {code} >= 16 && {code} < 65 }}", record)
        assert both(f'{{ {code} = "64" }}', record)
        assert not both(f'{{ {code} = "64.0" }}', record)

    def test_relational_operators_skip_strings(self):
        """``{ $.v > 1 }`` does not match the string ``"10"`` (recorded AWS)."""
        assert not compile_filter("{ $.v > 1 }").matches('{"v":"10"}')
        assert compile_filter("{ $.v > 1 }").matches('{"v":10}')

    def test_number_text_as_written(self):
        """String comparison uses a number's text: ``"1"`` matches 1 but not 1.0 nor 1e0."""
        pattern = compile_filter('{ $.v = "1" }')
        assert pattern.matches('{"v":1}')
        assert not pattern.matches('{"v":1.0}')
        assert not pattern.matches('{"v":1e0}')
        assert compile_filter("{ $.v = 1e+0 }").matches('{"v":1e0}')

    def test_array_wildcard_on_a_record(self, docs_records):
        """``[*]`` holds when any element satisfies the condition."""
        record = pick(docs_records, "StartInstances")
        assert both(
            '{ $.responseElements.instancesSet.items[*].instanceId = "i-ebeaf9e2" }', record
        )
        assert not both('{ $.responseElements.instancesSet.items[*].instanceId = "i-0" }', record)

    def test_field_wildcard_reads_direct_children_only(self, docs_records):
        """``$.*`` reaches top-level values, never nested ones."""
        record = pick(docs_records, "ConsoleLogin")
        assert both('{ $.* = "ConsoleLogin" }', record)
        assert not both('{ $.* = "IAMUser" }', record)

    def test_booleans_and_null(self, docs_records):
        """``IS TRUE``/``IS NULL`` test JSON booleans and null; ``= true`` is the string."""
        record = pick(docs_records, "ConsoleLogin")
        record["managementEvent"] = True
        assert both("{ $.managementEvent IS TRUE }", record)
        assert not both("{ $.managementEvent = true }", record)
        assert both("{ $.requestParameters IS NULL }", record)
        assert not both("{ $.requestParameters NOT EXISTS }", record)
        assert not both("{ $.noSuchField IS NULL }", record)

    def test_is_null_matches_an_array_holding_null(self):
        """Recorded AWS quirk: ``{ $.v IS NULL }`` matches ``{"v":[1,"Alpha",null]}``."""
        assert compile_filter("{ $.v IS NULL }").matches('{"v":[1,"Alpha",null]}')
        assert not compile_filter("{ $.v = 1 }").matches('{"v":[1,"Alpha",null]}')

    def test_and_binds_tighter_than_or(self):
        """``A || B && C`` is ``A || (B && C)``; parentheses regroup."""
        message = '{"a":0,"b":2,"c":3}'
        assert compile_filter("{ $.a = 1 || $.b = 2 && $.c = 3 }").matches(message)
        assert not compile_filter("{ ($.a = 1 || $.b = 2) && $.c = 0 }").matches(message)

    def test_bracket_notation_reads_dotted_keys(self):
        """``$.['cluster.name']`` reads the flat key; ``$.cluster.name`` walks nesting."""
        message = '{"cluster.name":"flat","cluster":{"name":"nested"}}'
        assert compile_filter("{ $.['cluster.name'] = \"flat\" }").matches(message)
        assert compile_filter('{ $.cluster.name = "nested" }').matches(message)

    def test_star_in_the_middle_is_literal(self):
        """The 2020 docs: ``"Ev*ent"`` only matches the text ``Ev*ent``."""
        pattern = compile_filter('{ $.eventName = "Ev*ent" }')
        assert pattern.matches('{"eventName":"Ev*ent"}')
        assert not pattern.matches('{"eventName":"EvXent"}')

    def test_last_duplicate_key_wins(self):
        """``{"v":2,"v":1}`` behaves as ``v = 1`` (recorded AWS)."""
        assert compile_filter("{ $.v = 1 }").matches('{"v":2,"v":1}')
        assert not compile_filter("{ $.v = 1 }").matches('{"v":1,"v":2}')

    @pytest.mark.parametrize(
        "message",
        [
            "not JSON",
            '[{"eventName":"ConsoleLogin"}]',
            '2024-03-01T00:00:00Z {"eventName":"ConsoleLogin"}',
            '{"eventName":"ConsoleLogin"',
            "",
        ],
    )
    def test_only_a_whole_json_object_matches(self, message):
        """Text, arrays, a prefix before the JSON or broken JSON never match, even NOT EXISTS."""
        assert not compile_filter("{ $.eventName = ConsoleLogin }").matches(message)
        assert not compile_filter("{ $.x NOT EXISTS }").matches(message)

    @pytest.mark.parametrize("document", [None, "text", ["a"], 3, {1, 2}])
    def test_parsed_non_objects_never_match(self, document):
        """``matches_parsed`` on anything but a dict is False, NOT EXISTS included."""
        assert not compile_filter("{ $.x NOT EXISTS }").matches_parsed(document)
        assert not compile_filter("{ $.* NOT EXISTS }").matches_parsed(document)

    def test_parsed_floats_read_as_orjson_writes_them(self):
        """A parsed float stands for the text orjson writes, as on the CloudWatch Logs line."""
        pattern = compile_filter('{ $.v = "1.0" }')
        assert pattern.matches_parsed({"v": 1.0})
        assert pattern.matches(line({"v": 1.0}))
        assert not pattern.matches_parsed({"v": 1})
        assert compile_filter("{ $.v IS NULL }").matches_parsed({"v": float("nan")})

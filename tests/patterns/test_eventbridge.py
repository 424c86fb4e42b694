"""Behaviour of EventBridge event patterns, operator by operator, on real CloudTrail envelopes."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from trailguard.errors import InvalidEventPattern
from trailguard.patterns.eventbridge import EventPattern, compile_pattern

ENVELOPES = Path(__file__).resolve().parents[1] / "fixtures" / "eventbridge"


def envelope(event_name: str, error_code: str | None = None) -> dict[str, Any]:
    """A real CloudTrail envelope (tests/fixtures) by event name and error code."""
    for line in (ENVELOPES / "cloudtrail_envelopes.jsonl").read_text().splitlines():
        event = json.loads(line)
        detail = event["detail"]
        if detail.get("eventName") == event_name and detail.get("errorCode") == error_code:
            return event
    raise LookupError(event_name)


def matches(pattern: str | dict[str, Any], event: Any) -> bool:
    return compile_pattern(pattern).matches(event)


def reason(pattern: str | dict[str, Any]) -> str:
    with pytest.raises(InvalidEventPattern) as error:
        compile_pattern(pattern)
    assert str(error.value).startswith("Event pattern is not valid. Reason: ")
    return error.value.reason


class TestCompilePattern:
    """compile_pattern takes JSON text or a mapping and validates it as AWS does."""

    def test_text_and_mapping_compile_to_the_same_pattern(self):
        """A pattern given as text behaves like the same pattern given as a mapping."""
        text = '{"source": ["aws.cloudtrail"], "detail": {"eventName": ["StopLogging"]}}'
        event = envelope("StopLogging")
        assert matches(text, event) is matches(json.loads(text), event) is True

    def test_returns_an_event_pattern_with_its_text(self):
        """The compiled pattern keeps the text it came from, for messages and repr."""
        pattern = compile_pattern('{"source": ["aws.s3"]}')
        assert isinstance(pattern, EventPattern)
        assert pattern.text == '{"source": ["aws.s3"]}'
        assert "aws.s3" in repr(pattern)

    def test_duplicate_keys_in_text_keep_the_last(self):
        """A key written twice keeps its last value, as EventBridge does (parsed JSON cannot)."""
        text = '{"detail": {"eventName": ["StopLogging"], "eventName": ["DeleteTrail"]}}'
        assert not matches(text, envelope("StopLogging"))
        assert matches(text, envelope("DeleteTrail"))

    def test_dotted_and_nested_spellings_are_one_path(self):
        """``a.b`` and ``{"a": {"b": ...}}`` are the same path, so the later one wins."""
        text = '{"a": {"b": ["x"]}, "a.b": ["y"]}'
        assert not matches(text, {"a": {"b": "x"}})
        assert matches(text, {"a": {"b": "y"}})

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            (
                "this is valid json but not a dict",
                (
                    "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object "
                    "or token 'null', 'true' or 'false')"
                ),
            ),
            (
                "{'bad': 'quotation'}",
                (
                    "Unexpected character (''' (code 39)): was expecting double-quote to start "
                    "field name"
                ),
            ),
            ('["not", "a", "dict"]', "Filter is not an object"),
            ("", "Filter is not an object"),
            (
                '{"a": ["x"],}',
                (
                    "Unexpected character ('}' (code 125)): was expecting "
                    "double-quote to start field name"
                ),
            ),
            (
                '{"a": ["x"',
                (
                    "Unexpected end-of-input: expected close marker for Array (start "
                    'marker at [Source: (String)"{"a": ["x""; line: 1, column: 7])'
                ),
            ),
            ('{"a": [01]}', "Invalid numeric value: Leading zeroes not allowed"),
            ('{"a": ["\\q"]}', "Unrecognized character escape 'q' (code 113)"),
            (
                '{"a": [NaN]}',
                (
                    "Non-standard token 'NaN': enable "
                    "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
                ),
            ),
        ],
    )
    def test_bad_json_gets_jacksons_message(self, text: str, expected: str):
        """Broken JSON is rejected with the parser message AWS returns."""
        assert reason(text) == expected

    def test_a_semantic_error_read_first_wins_over_later_bad_json(self):
        """Errors come in reading order, as AWS compiles while it parses."""
        assert reason('{"a": [{"prefix": [1, 2 3]}]}') == "prefix match pattern must be a string"

    def test_text_after_the_pattern_is_ignored(self):
        """AWS stops reading at the end of the pattern object."""
        assert matches('{"source": ["aws.s3"]} trailing', {"source": "aws.s3"})

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ({}, "Empty objects are not allowed"),
            ({"a": []}, "Empty arrays are not allowed"),
            ({"a": "x"}, '"a" must be an object or an array'),
            ({"a": [["x"]]}, "Match value must be String, number, true, false, or null"),
            ({"a": [{}]}, "Match expression name not found"),
            ({"a": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
            ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
        ],
    )
    def test_structure_errors(self, pattern: dict[str, Any], expected: str):
        """Malformed structures are rejected with AWS's reason."""
        assert reason(pattern) == expected

    def test_size_limit_is_the_default_quota(self):
        """Patterns over 2,048 characters are rejected unless the limit is raised or disabled."""
        big = {"detail": {"eventName": [f"Event{number:04d}" for number in range(200)]}}
        with pytest.raises(InvalidEventPattern, match="limit is 2048"):
            compile_pattern(big)
        assert compile_pattern(big, max_length=4096).matches({"detail": {"eventName": "Event0199"}})
        assert compile_pattern(big, max_length=None).matches({"detail": {"eventName": "Event0000"}})

    def test_error_is_a_value_error(self):
        """InvalidEventPattern can be caught as ValueError and carries the bare reason."""
        with pytest.raises(ValueError, match="Empty objects are not allowed") as error:
            compile_pattern("{}")
        assert isinstance(error.value, InvalidEventPattern)
        assert error.value.reason == "Empty objects are not allowed"

    def test_deep_nesting_is_rejected_not_crashed(self):
        """Absurd nesting raises InvalidEventPattern instead of a RecursionError."""
        text = '{"a":' * 1200 + '["x"]' + "}" * 1200
        with pytest.raises(InvalidEventPattern):
            compile_pattern(text, max_length=None)


class TestExactValues:
    """Plain values in a field's list match equal values of the same JSON type."""

    def test_strings_are_case_sensitive(self):
        """ "StopLogging" does not match "stoplogging"."""
        event = envelope("StopLogging")
        assert matches({"detail": {"eventName": ["StopLogging"]}}, event)
        assert not matches({"detail": {"eventName": ["stoplogging"]}}, event)

    def test_any_value_in_the_list_matches(self):
        """A list is a set of alternatives."""
        pattern = {"detail": {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"]}}
        assert matches(pattern, envelope("DeleteTrail"))
        assert not matches(pattern, envelope("CreateAccessKey"))

    def test_every_field_must_match(self):
        """Fields combine with AND."""
        pattern = {"source": ["aws.cloudtrail"], "detail": {"errorCode": ["AccessDenied"]}}
        assert matches(pattern, envelope("StopLogging", "AccessDenied"))
        assert not matches(pattern, envelope("StopLogging"))

    def test_types_never_coerce(self):
        """ "true" is not true and "300" is not 300."""
        assert not matches({"readOnly": ["false"]}, {"readOnly": False})
        assert matches({"readOnly": [False]}, {"readOnly": False})
        assert not matches({"n": ["300"]}, {"n": 300})
        assert not matches({"n": [300]}, {"n": "300"})

    def test_numbers_compare_by_value(self):
        """300, 300.0 and 3.0e2 are one value; AWS-validated, although the docs say otherwise."""
        assert matches({"n": [300]}, {"n": 300.0})
        assert matches('{"n": [3.0e2]}', '{"n": 300}')
        assert matches({"n": [0]}, {"n": -0.0})

    def test_numbers_a_double_cannot_hold_compare_by_text(self):
        """Numbers that do not survive a round trip through a double match only their literal."""
        assert matches({"n": [12345678901234567890]}, {"n": 12345678901234567890})
        assert not matches({"n": [12345678901234567890]}, {"n": 12345678901234567891})
        assert not matches('{"n": [0.1000000000000000055511151231257827]}', '{"n": 0.1}')

    def test_null_empty_and_missing_are_different(self):
        """[null] matches null only; [""] matches "" only; neither matches a missing field."""
        console_login = envelope("ConsoleLogin")
        assert console_login["detail"]["requestParameters"] is None
        assert matches({"detail": {"requestParameters": [None]}}, console_login)
        assert not matches({"detail": {"requestParameters": [""]}}, console_login)
        assert not matches({"detail": {"nothing": [None]}}, console_login)
        assert matches({"detail": {"userIdentity": {"accessKeyId": [""]}}}, console_login)

    def test_ip_addresses_match_any_spelling(self):
        """An IP literal in the list matches other spellings of the same address (event-ruler)."""
        assert matches({"ip": ["10.0.0.1"]}, {"ip": "10.000.0.1"})
        assert matches({"ip": ["::9"]}, {"ip": "0:0:0:0:0:0:0:9"})
        assert matches({"ip": ["2001:db8::1"]}, {"ip": "2001:DB8::1"})
        assert not matches({"ip": ["10.0.0.1"]}, {"ip": "10.0.0.2"})

    def test_real_ip_field(self):
        """A CloudTrail sourceIPAddress matches its own address written with leading zeros."""
        event = envelope("CreateAccessKey")
        assert event["detail"]["sourceIPAddress"] == "211.9.016.253"
        assert matches({"detail": {"sourceIPAddress": ["211.9.16.253"]}}, event)

    def test_exactly_is_exact_without_ip_spelling(self):
        """The undocumented ``exactly`` operator compares the text as written."""
        assert matches({"ip": [{"exactly": "10.0.0.1"}]}, {"ip": "10.0.0.1"})
        assert not matches({"ip": [{"exactly": "10.0.0.1"}]}, {"ip": "10.000.0.1"})
        assert reason({"ip": [{"exactly": 33}]}) == "exact match pattern must be a string"


class TestPrefixAndSuffix:
    """prefix and suffix match the start or end of string values."""

    def test_prefix_on_a_real_error_code(self):
        """``AccessDenied`` errors are found by prefix."""
        pattern = {"detail": {"errorCode": [{"prefix": "AccessDenied"}]}}
        assert matches(pattern, envelope("CreateAccessKey", "AccessDenied"))
        assert not matches(pattern, envelope("PutBucketPolicy", "NoSuchBucket"))

    def test_suffix(self):
        """Suffixes compare the end of the value."""
        pattern = {"detail": {"eventSource": [{"suffix": ".amazonaws.com"}]}}
        assert matches(pattern, envelope("StopLogging"))
        assert not matches(
            {"detail": {"eventSource": [{"suffix": ".com."}]}}, envelope("StopLogging")
        )

    def test_empty_prefix_matches_every_string(self):
        """An empty prefix matches any string, even "", but no other type."""
        assert matches({"a": [{"prefix": ""}]}, {"a": ""})
        assert not matches({"a": [{"prefix": ""}]}, {"a": 1})

    def test_only_strings(self):
        """A number never matches a prefix, even when its digits would."""
        assert not matches({"a": [{"prefix": "1"}]}, {"a": 123})

    def test_ignore_case_forms(self):
        """prefix and suffix accept a nested equals-ignore-case."""
        assert matches({"a": [{"prefix": {"equals-ignore-case": "STOP"}}]}, {"a": "StopLogging"})
        assert matches({"a": [{"suffix": {"equals-ignore-case": ".PNG"}}]}, {"a": "cat.png"})
        assert not matches({"a": [{"suffix": {"equals-ignore-case": ".PNG"}}]}, {"a": "cat.jpg"})

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
            ({"a": [{"suffix": ["x"]}]}, "suffix match pattern must be a string"),
            ({"a": [{"prefix": {"wildcard": "x"}}]}, "Unsupported prefix pattern: wildcard"),
            (
                {"a": [{"suffix": {"equals-ignore-case": 5}}]},
                "equals-ignore-case match pattern must be a string",
            ),
        ],
    )
    def test_errors(self, pattern: dict[str, Any], expected: str):
        """Wrong operands get AWS's reasons."""
        assert reason(pattern) == expected


class TestEqualsIgnoreCase:
    """equals-ignore-case maps the pattern's characters to lower or upper case, never the event's."""

    def test_ascii(self):
        """Any mix of cases matches."""
        pattern = {"detail-type": [{"equals-ignore-case": "aws api call via cloudtrail"}]}
        assert matches(pattern, envelope("StopLogging"))

    @pytest.mark.parametrize(
        ("pattern", "value", "expected"),
        [
            ("straße", "STRASSE", True),
            ("straße", "strasse", False),
            ("\u03c3", "\u03a3", True),
            ("\u03c3", "\u03c2", False),
            ("K", "\u212a", False),
            ("İ", "i", False),
        ],
    )
    def test_unicode_follows_java_per_character_mapping(
        self, pattern: str, value: str, expected: bool
    ):
        """Not Unicode case folding: each pattern character may appear lower- or upper-cased."""
        assert matches({"a": [{"equals-ignore-case": pattern}]}, {"a": value}) is expected

    def test_only_strings(self):
        """Numbers and booleans never match."""
        assert not matches({"a": [{"equals-ignore-case": "true"}]}, {"a": True})

    def test_operand_must_be_one_string(self):
        """A list or object operand is rejected."""
        assert reason({"a": [{"equals-ignore-case": ["x"]}]}) == (
            "equals-ignore-case match pattern must be a string"
        )


class TestWildcard:
    """wildcard matches the whole value, ``*`` standing for any run of characters."""

    def test_trail_name_on_a_real_event(self):
        """A wildcard over the name of the trail a real StopLogging call stopped."""
        event = envelope("StopLogging")
        name = {"detail": {"requestParameters": {"name": [{"wildcard": "stratus-*-stop-trail-*"}]}}}
        assert matches(name, event)
        assert not matches(
            {"detail": {"requestParameters": {"name": [{"wildcard": "prod-*"}]}}}, event
        )

    @pytest.mark.parametrize(
        ("wildcard", "value", "expected"),
        [
            ("*", "", True),
            ("", "", True),
            ("", "x", False),
            ("*bc", "bc", True),
            ("a*c", "abbbc", True),
            ("a*c", "abbbd", False),
            ("a\\*b", "a*b", True),
            ("a\\*b", "axb", False),
            ("a\\\\b", "a\\b", True),
            ("*:*", "no colon", False),
        ],
    )
    def test_semantics(self, wildcard: str, value: str, expected: bool):
        """Anchored, ``*`` may be empty, ``\\*`` and ``\\\\`` are literal."""
        assert matches({"a": [{"wildcard": wildcard}]}, {"a": value}) is expected

    def test_only_strings(self):
        """A bare ``*`` does not match a number."""
        assert not matches({"a": [{"wildcard": "*"}]}, {"a": 5})

    @pytest.mark.parametrize(
        ("wildcard", "expected"),
        [
            ("foo**bar", "Consecutive wildcard characters at pos 4"),
            ("a\\b", "Invalid escape character at pos 2"),
        ],
    )
    def test_syntax_errors(self, wildcard: str, expected: str):
        """Positions are byte offsets in the quoted value, as AWS reports them."""
        assert reason({"a": [{"wildcard": wildcard}]}) == expected

    def test_complexity_limit(self):
        """Too many wildcards that can overlap are rejected; AWS accepts complexity 7, rejects 11."""
        assert reason({"a": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}).startswith(
            "Rule is too complex - try using fewer wildcard characters"
        )
        compile_pattern({"a": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]})
        compile_pattern({"a": [{"wildcard": f"*:stack/{name}/*"} for name in ("a", "b", "c")]})
        with pytest.raises(InvalidEventPattern, match="too complex"):
            compile_pattern({"a": [{"wildcard": f"*:stack/{name}/*"} for name in "abcd"]})


class TestAnythingBut:
    """anything-but matches any value except the listed ones, but never a missing field."""

    def test_single_string(self):
        """Every real event but the excluded name matches."""
        pattern = {"detail": {"eventName": [{"anything-but": "GetCallerIdentity"}]}}
        assert not matches(pattern, envelope("GetCallerIdentity"))
        assert matches(pattern, envelope("StopLogging"))

    def test_missing_field_never_matches(self):
        """errorCode absent: anything-but is false, it is not exists:false."""
        pattern = {"detail": {"errorCode": [{"anything-but": "ThrottlingException"}]}}
        assert matches(pattern, envelope("StopLogging", "AccessDenied"))
        assert not matches(pattern, envelope("StopLogging"))

    def test_other_types_and_null_match(self):
        """A string exclusion is satisfied by numbers, booleans and null."""
        pattern = {"a": [{"anything-but": "x"}]}
        assert matches(pattern, {"a": None})
        assert matches(pattern, {"a": 5})
        assert matches(pattern, {"a": True})

    def test_event_arrays_need_one_differing_element(self):
        """["x", "y"] matches anything-but "x"; ["x"] does not; [] is like missing."""
        pattern = {"a": [{"anything-but": "x"}]}
        assert matches(pattern, {"a": ["x", "y"]})
        assert not matches(pattern, {"a": ["x"]})
        assert not matches(pattern, {"a": []})

    def test_lists_and_numbers(self):
        """Lists exclude every member; numbers compare by value."""
        assert not matches({"a": [{"anything-but": ["x", "y"]}]}, {"a": "y"})
        assert not matches({"a": [{"anything-but": [5]}]}, {"a": 5.0})
        assert matches({"a": [{"anything-but": [5]}]}, {"a": "5"})

    def test_ip_spelling_is_not_canonicalised(self):
        """Unlike plain values, anything-but compares IP addresses as text."""
        assert matches({"ip": [{"anything-but": "10.0.0.1"}]}, {"ip": "10.000.0.1"})

    @pytest.mark.parametrize(
        ("operand", "value", "expected"),
        [
            ({"prefix": "us-"}, "eu-west-1", True),
            ({"prefix": "us-"}, "us-east-1", False),
            ({"prefix": ["us-", "eu-"]}, "eu-west-1", False),
            ({"suffix": ".png"}, "a.jpg", True),
            ({"suffix": ".png"}, "a.png", False),
            ({"equals-ignore-case": "INIT"}, "init", False),
            ({"equals-ignore-case": ["a", "b"]}, "c", True),
            ({"wildcard": "*/lib/*"}, "/usr/lib/x", False),
            ({"wildcard": "*/lib/*"}, "/usr/bin/x", True),
            ({"prefix": "us-"}, 5, True),
        ],
    )
    def test_forms(self, operand: dict[str, Any], value: Any, expected: bool):
        """prefix, suffix, equals-ignore-case and wildcard forms; non-strings satisfy them."""
        assert matches({"a": [{"anything-but": operand}]}, {"a": value}) is expected

    @pytest.mark.parametrize(
        ("operand", "expected"),
        [
            (None, "Value of anything-but must be an array or single string/number value."),
            (["a", None], "Inside anything but list, start|null|boolean is not supported."),
            (
                ["a", 1],
                (
                    "Inside anything but list, either all values are number or string, mixed type is "
                    "not supported"
                ),
            ),
            ({"prefix": ""}, "Null prefix/suffix not allowed"),
            ({"numeric": [">", 1]}, "Unsupported anything-but pattern: numeric"),
            (
                {"equals-ignore-case": [1]},
                (
                    "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
                    "supported."
                ),
            ),
        ],
    )
    def test_errors(self, operand: Any, expected: str):
        """Wrong operands get AWS's reasons."""
        assert reason({"a": [{"anything-but": operand}]}) == expected


class TestNumeric:
    """numeric compares number values with one bound or a range."""

    @pytest.mark.parametrize(
        ("condition", "value", "expected"),
        [
            ([">", 0], 1, True),
            ([">", 0], 0, False),
            ([">=", 0, "<", 10], 0, True),
            ([">=", 0, "<", 10], 10, False),
            (["<=", 5], 5.0, True),
            (["=", 3.018e2], 301.8, True),
            (["<", 0], -0.0, False),
            ([">", 1e10], 2e10, True),
        ],
    )
    def test_comparisons(self, condition: list[Any], value: float, expected: bool):
        """Bounds are inclusive or exclusive as written; -0 equals 0."""
        assert matches({"n": [{"numeric": condition}]}, {"n": value}) is expected

    def test_only_numbers(self):
        """Strings, booleans and null never match, even numeric strings."""
        pattern = {"n": [{"numeric": [">", 0]}]}
        assert not matches(pattern, {"n": "5"})
        assert not matches(pattern, {"n": True})
        assert not matches(pattern, {"n": None})

    def test_numbers_beyond_a_double_do_not_match(self):
        """An event number too large for a double is not comparable."""
        assert not matches({"n": [{"numeric": [">", 0]}]}, '{"n": 1e400}')

    def test_real_port(self):
        """The port of a real AuthorizeSecurityGroupIngress call."""
        pattern = {"detail": {"requestParameters": {"fromPort": [{"numeric": ["<", 1024]}]}}}
        assert matches(pattern, envelope("AuthorizeSecurityGroupIngress"))

    @pytest.mark.parametrize(
        ("condition", "expected"),
        [
            (10, "Value of numeric must be an array."),
            ([">", 0, ">", 0], "Bad numeric range operator: >"),
            ([">", 0, "<"], "Value of < must be numeric"),
            (["=", "5"], "Value of equals must be numeric"),
            (["==", 1], "Unrecognized numeric range operator: =="),
            ([], "Invalid member in numeric match: ]"),
            ([">=", 5, "<=", 5], "Bottom must be less than top"),
            (["<", 10, ">", 0], "Too many elements in numeric expression"),
            (["<", 9007199254740993], "Cannot compare number : 9007199254740993"),
        ],
    )
    def test_errors(self, condition: Any, expected: str):
        """Malformed conditions get AWS's reasons."""
        assert reason({"n": [{"numeric": condition}]}) == expected


class TestExists:
    """exists tests whether a field has a leaf value."""

    def test_error_code_absent_on_real_events(self):
        """The CloudTrail idiom for successful calls."""
        pattern = {"detail": {"errorCode": [{"exists": False}]}}
        assert matches(pattern, envelope("StopLogging"))
        assert not matches(pattern, envelope("StopLogging", "AccessDenied"))

    def test_null_is_a_value_and_objects_are_not(self):
        """null exists; an object or an empty array does not."""
        assert matches({"a": [{"exists": True}]}, {"a": None})
        assert not matches({"a": [{"exists": True}]}, {"a": {"b": 1}})
        assert not matches({"a": [{"exists": True}]}, {"a": []})
        assert matches({"a": [{"exists": False}]}, {"a": {"b": 1}})

    def test_field_under_null_does_not_exist(self):
        """requestParameters is null on console sign-ins, so a field under it is absent."""
        pattern = {"detail": {"requestParameters": {"bucketName": [{"exists": False}]}}}
        assert matches(pattern, envelope("ConsoleLogin"))

    def test_exists_false_looks_at_every_array_element(self):
        """One element having the field is enough to make it exist."""
        pattern = {"a": {"b": [{"exists": False}]}}
        assert not matches(pattern, {"a": [{"b": 1}, {"c": 2}]})
        assert matches(pattern, {"a": [{"c": 1}]})
        assert matches(pattern, {"a": "str"})
        assert not matches({"a": [{"exists": False}]}, {"a": [None]})

    def test_or_with_a_value(self):
        """[{"exists": false}, "x"] matches a missing field or "x"."""
        pattern = {"a": [{"exists": False}, "x"]}
        assert matches(pattern, {})
        assert matches(pattern, {"a": "x"})
        assert not matches(pattern, {"a": "y"})

    def test_operand_must_be_a_boolean(self):
        """Anything but true or false is rejected."""
        assert reason({"a": [{"exists": "yes"}]}) == (
            "exists match pattern must be either true or false."
        )


class TestCidr:
    """cidr matches IP address strings inside a network."""

    def test_real_source_addresses(self):
        """A real sourceIPAddress written with leading zeros is read as decimal."""
        event = envelope("AttachUserPolicy")
        assert event["detail"]["sourceIPAddress"] == "075.050.255.67"
        assert matches({"detail": {"sourceIPAddress": [{"cidr": "75.50.0.0/16"}]}}, event)
        assert not matches({"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/8"}]}}, event)

    def test_non_addresses_never_match(self):
        """ "AWS Internal" and service names are not addresses."""
        event = envelope("RotateKey")
        assert not matches({"detail": {"sourceIPAddress": [{"cidr": "0.0.0.0/0"}]}}, event)

    def test_ipv6_and_host_bits(self):
        """IPv6 ignores case and compression; host bits of the network are ignored."""
        assert matches({"a": [{"cidr": "2001:db8::/32"}]}, {"a": "2001:DB8:0:0::1"})
        assert matches({"a": [{"cidr": "10.0.0.5/24"}]}, {"a": "10.0.0.200"})
        assert not matches({"a": [{"cidr": "10.0.0.0/24"}]}, {"a": "::ffff:10.0.0.1"})

    @pytest.mark.parametrize(
        ("cidr", "expected"),
        [
            ("10.0.0.0/32", "IPv4 mask bits must be < 32"),
            ("::/128", "IPv6 mask bits must be < 128"),
            ("bad-filter", "Malformed CIDR, one '/' required"),
            ("10.0.0.0/x", "Malformed CIDR, mask bits must be an integer"),
            ("10.0.0.0/-1", "Malformed CIDR, mask bits must not be negative"),
            ("xx.11.xx/8", "Nonstandard IP address: xx.11.xx"),
            (["10.0.0.0/8"], "prefix match pattern must be a string"),
        ],
    )
    def test_errors(self, cidr: Any, expected: str):
        """Malformed networks get AWS's (and event-ruler's) reasons."""
        assert reason({"a": [{"cidr": cidr}]}) == expected


class TestOr:
    """$or matches when any of its objects matches, next to the other fields."""

    def test_either_branch_on_real_events(self):
        """Root activity or an AccessDenied error."""
        pattern = {
            "detail": {
                "$or": [
                    {"userIdentity": {"type": ["Root"]}},
                    {"errorCode": [{"prefix": "AccessDenied"}]},
                ]
            }
        }
        assert matches(pattern, envelope("ConsoleLogin"))
        assert matches(pattern, envelope("CreateAccessKey", "AccessDenied"))
        assert not matches(pattern, envelope("CreateAccessKey"))

    def test_several_ors_multiply(self):
        """Two $or in one pattern both have to hold."""
        pattern = {
            "$or": [{"a": ["1"]}, {"b": ["1"]}],
            "c": {"$or": [{"d": ["1"]}, {"e": ["1"]}]},
        }
        assert matches(pattern, {"b": "1", "c": {"d": "1"}})
        assert not matches(pattern, {"b": "1", "c": {"f": "1"}})

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ({"$or": [{"a": ["x"]}]}, "There must have at least 2 Objects in $or relationship."),
            ({"$or": {"a": ["x"]}}, "It must be an Array followed with $or."),
            (
                {"$or": [{"a": ["x"]}, "b"]},
                "Only JSON object is allowed in array of $or relationship.",
            ),
            (
                {"$or": [{"numeric": ["x"]}, {"b": ["y"]}]},
                "numeric is Ruler reserved fieldName which cannot be used inside $or.",
            ),
        ],
    )
    def test_errors(self, pattern: dict[str, Any], expected: str):
        """Malformed $or gets event-ruler's reasons."""
        assert reason(pattern) == expected

    def test_combinations_are_limited(self):
        """More than 1,000 combinations are rejected (AWS's documented limit)."""
        branch = {"$or": [{f"k{n}": ["x"]} for n in range(11)]}
        pattern = {"a": branch, "b": branch, "c": branch}
        with pytest.raises(InvalidEventPattern, match="1000 rule combinations"):
            compile_pattern(pattern, max_length=None)


class TestArrays:
    """Arrays on either side: any element matches, and fields must share array elements."""

    def test_pattern_and_event_arrays_intersect(self):
        """A match needs one common value."""
        pattern = {"resources": ["arn:a", "arn:b"]}
        assert matches(pattern, {"resources": ["arn:c", "arn:b"]})
        assert not matches(pattern, {"resources": ["arn:c"]})

    def test_nested_arrays_are_flattened(self):
        """Values in arrays of arrays count too."""
        assert matches({"a": ["x"]}, {"a": [["x"]]})

    def test_fields_must_come_from_the_same_element(self):
        """Anna Smith and Peter Jones do not make an Anna Jones."""
        people = {
            "employees": [{"first": "Anna", "last": "Smith"}, {"first": "Peter", "last": "Jones"}]
        }
        assert not matches({"employees": {"first": ["Anna"], "last": ["Jones"]}}, people)
        assert matches({"employees": {"first": ["Anna"], "last": ["Smith"]}}, people)

    def test_cloudtrail_resources(self):
        """A resource type and ARN must come from the same entry of detail.resources."""
        event = copy.deepcopy(envelope("RotateKey"))
        event["detail"]["resources"].append(
            {"ARN": "arn:aws:s3:::bucket", "accountId": "123456789012", "type": "AWS::S3::Bucket"}
        )
        same = {
            "detail": {
                "resources": {"type": ["AWS::KMS::Key"], "ARN": [{"prefix": "arn:aws:kms:"}]}
            }
        }
        mixed = {
            "detail": {"resources": {"type": ["AWS::KMS::Key"], "ARN": ["arn:aws:s3:::bucket"]}}
        }
        assert matches(same, event)
        assert not matches(mixed, event)

    def test_duplicate_event_keys_all_count(self):
        """In event text, a repeated key contributes every value (as event-ruler reads it)."""
        assert matches({"a": ["x"]}, '{"a": "y", "a": "x"}')
        assert matches({"a": ["y"]}, '{"a": "y", "a": "x"}')


class TestPaths:
    """Field paths join keys with dots, in patterns and events alike."""

    def test_event_keys_with_dots(self):
        """{"state.status": ...} in the event is reached by the path state.status."""
        pattern = {"detail": {"state": {"status": ["running"]}}}
        assert matches(pattern, {"detail": {"state.status": "running"}})
        assert matches(pattern, {"detail.state": {"status": "running"}})

    def test_key_names_are_case_sensitive(self):
        """eventname is not eventName."""
        assert not matches({"detail": {"eventname": ["StopLogging"]}}, envelope("StopLogging"))


class TestMatchesNeverRaises:
    """matches answers False for anything it cannot read, and never raises."""

    @pytest.mark.parametrize(
        "event",
        [
            None,
            42,
            ["not", "an", "object"],
            "not json",
            "[1, 2]",
            '{"truncated": ',
            '{"a": NaN}',
            '{"a": Infinity}',
            {"detail": None},
            {"detail": {"eventName": None}},
            {"detail": [None, [None], {"eventName": None}]},
            {"detail": {"eventName": {"nested": "object"}}},
            {"detail": {"eventName": 10**5000}},
            {"detail": {"eventName": Decimal("sNaN")}},
            {"detail": {"eventName": float("nan")}},
            {"detail": {"eventName": object()}},
            {1: "non-string key"},
        ],
    )
    def test_odd_events(self, event: Any):
        """Odd events are simply not matched."""
        pattern = compile_pattern(
            {"detail": {"eventName": [{"anything-but": "x"}, {"numeric": [">", 0]}]}}
        )
        assert pattern.matches(event) in {True, False}

    def test_deeply_nested_event(self):
        """An event nested far deeper than Python's recursion limit returns False."""
        value: Any = "x"
        for _ in range(5000):
            value = [value]
        assert compile_pattern({"a": ["x"]}).matches({"a": value}) is False

    def test_other_mappings(self):
        """Mappings other than dict are read through the general path."""
        event = envelope("StopLogging")
        pattern = compile_pattern({"detail": {"eventName": ["StopLogging"]}})
        assert pattern.matches(MappingProxyType(event))
        assert pattern.matches(OrderedDict(event))

    def test_event_as_json_text(self):
        """A real envelope given as text matches like the parsed one."""
        event = envelope("StopLogging")
        assert matches({"detail": {"eventName": ["StopLogging"]}}, json.dumps(event))


class TestDocumentedChoices:
    """Points no recorded AWS answer settles; docs/eventbridge-deviations.md explains each."""

    def test_messages_leave_out_the_location_suffix(self):
        """AWS appends "\\n at [Source: ...; line: 1, column: N]"; the reason alone is kept."""
        assert reason({"resources": []}) == "Empty arrays are not allowed"

    def test_wildcard_complexity_ten_is_accepted(self):
        """The private threshold lies between 9 (accepted) and 11 (rejected); 10 is accepted."""
        compile_pattern(
            {"a": [{"wildcard": "*/x/*"}, {"wildcard": "*/y/*"}, {"wildcard": "*/z/*"}]}
        )

    def test_or_with_an_object_is_rejected(self):
        """event-ruler's legacy compiler would read "$or": {...} as a field; it is refused here."""
        assert reason({"$or": {"a": ["x"]}}) == "It must be an Array followed with $or."

    def test_envelope_fields_are_not_required(self):
        """TestEventPattern insists on id, account, source ...; matching needs only a JSON object."""
        assert matches({"a": ["x"]}, {"a": "x"})

    def test_limits_worded_by_trailguard(self):
        """AWS's wording for the size quota is not recorded, so the message is trailguard's."""
        with pytest.raises(InvalidEventPattern, match="characters long; the limit is 10"):
            compile_pattern('{"source": ["aws.s3"]}', max_length=10)

    def test_parsed_events_lose_number_literals(self):
        """Text keeps 0.30000000000000001 apart from 0.3; a parsed float cannot."""
        pattern = compile_pattern('{"n": [0.30000000000000001]}')
        assert pattern.matches('{"n": 0.30000000000000001}')
        assert not pattern.matches('{"n": 0.3}')
        assert not pattern.matches({"n": 0.30000000000000001})

    def test_numeric_and_ip_matchers_in_one_field(self):
        """event-ruler reads a value as a number or else as an address, never both."""
        pattern = compile_pattern({"a": [{"cidr": "10.0.0.0/8"}, {"numeric": [">", 0]}]})
        assert pattern.matches({"a": 5})
        assert not pattern.matches({"a": "10.0.0.1"})
        assert compile_pattern({"a": [{"cidr": "10.0.0.0/8"}]}).matches({"a": "10.0.0.1"})

    def test_ignore_case_leaves_characters_outside_the_bmp_alone(self):
        """Java maps each UTF-16 unit, so a surrogate pair only matches itself."""
        deseret_capital, deseret_small = "\U00010400", "\U00010428"
        pattern = compile_pattern({"a": [{"equals-ignore-case": deseret_capital}]})
        assert pattern.matches({"a": deseret_capital})
        assert not pattern.matches({"a": deseret_small})

    def test_address_shaped_strings_that_are_not_addresses(self):
        """Java would look 256.1.1.1 up in DNS; here it is a plain string, as a failed lookup is."""
        assert matches({"a": ["256.1.1.1"]}, {"a": "256.1.1.1"})
        assert not matches({"a": ["256.1.1.1"]}, {"a": "256.001.1.1"})
        assert reason({"a": [{"cidr": "256.1.1.1/8"}]}) == "Invalid IP address: 256.1.1.1"

    def test_fields_per_combination_are_limited(self):
        """event-ruler refuses more than 256 fields in one rule."""
        fields = {f"f{number}": ["x"] for number in range(257)}
        with pytest.raises(InvalidEventPattern, match="exceeds max value of 256"):
            compile_pattern(fields, max_length=None)
        compile_pattern(dict(list(fields.items())[:256]), max_length=None)

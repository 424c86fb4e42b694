"""AWS's messages for rejected patterns, and matching that never raises on odd input."""

from __future__ import annotations

import pytest

from trailguard.errors import InvalidFilterPattern, PatternError
from trailguard.patterns.logs_filter import compile_filter

# Each message is the one AWS returned for the same pattern (radkawar/stackd capture, or the
# third-party reports cited in docs/cwlogs-notes.md).
PER_SELECTOR = (
    "Your filter pattern has a JSON path selector that exceeds the maximum of 1 wildcard allowed"
    " per json selector."
)
PER_PATTERN = (
    "Your input has exceeded the maximum of 3 JSON wildcard selectors allowed per filter pattern."
)
FOUR_WILDCARDS = '{ $.a[*] = "hit" || $.b[*].a = 1 || $.* = "hit" || $.c[*][0] = 0 }'
RECORDED = [
    ("{ $.v = null }", "Invalid metric filter pattern"),
    ("{ $.v EXISTS }", "Invalid metric filter pattern"),
    ("{ $.v IS NOT NULL }", "Invalid character(s) in term 'NOT'"),
    ("{ $.v == 1 }", "Invalid metric filter pattern"),
    ("{ !($.v = 1) }", "Invalid character(s) in term '!('"),
    ("{ $.v > 0 AND $.v < 2 }", "Invalid metric filter pattern"),
    ('{ "v": [1] }', "Invalid character(s) in term ':'"),
    ('{ $.v > "Alpha" }', "Invalid character(s) in term '\"Alpha\"'"),
    ("{ $.v = %(Alpha|Beta)% }", "Invalid character(s) in term '%('"),
    ('{ $..value = "hit" }', "Invalid character(s) in term '$..'"),
    ('{ $.arr[-1] = "hit" }', "Invalid character(s) in term '[-'"),
    ('{ $.arr[0:2] = "hit" }', "Invalid character(s) in term '[0:'"),
    ("{ $.broken = }", "Invalid metric filter pattern"),
    ('{ $."sc-status" = 5* }', "Invalid character(s) in term '$.\"'"),
    ('{ $.message = "a", $.path = "/b" }', "Invalid character(s) in term ','"),
    ("{ $.items[*].* = 1 }", PER_SELECTOR),
    (FOUR_WILDCARDS, PER_PATTERN),
    ("[..., status, ...]", "Duplicate field '...'"),
    ("[word, word]", "Duplicate field 'word'"),
    ('"ERROR', "Invalid character(s) in term '\"ERROR'"),
    ("ERR*", "Invalid character(s) in term '*'"),
    ("?Status: timeout", "Invalid character(s) in term ':'"),
    ("PlayerSpawnedInWorld (reason: JoinMultiplayer", "Invalid character(s) in term '('"),
    ("%^(ERROR|WARN)%", "Invalid character(s) in term '%^('"),
    ("%[abc%", "Failed to compile regular expression."),
]


class TestInvalidPatterns:
    @pytest.mark.parametrize(("pattern", "message"), RECORDED)
    def test_aws_message(self, pattern, message):
        """The pattern is rejected with the message AWS gives for it."""
        with pytest.raises(InvalidFilterPattern) as raised:
            compile_filter(pattern)
        assert str(raised.value) == message

    def test_is_a_value_error(self):
        """Callers may catch ValueError or the project's PatternError."""
        with pytest.raises(ValueError, match="Invalid metric filter pattern"):
            compile_filter("{ }")
        with pytest.raises(PatternError):
            compile_filter("{ }")

    def test_length_limit(self):
        """1,024 characters are allowed; 1,025 fail with AWS's validation message."""
        compile_filter("X" * 1024)
        with pytest.raises(InvalidFilterPattern) as raised:
            compile_filter("X" * 1025)
        assert str(raised.value).startswith("1 validation error detected: Value 'XXX")
        assert str(raised.value).endswith(
            "at 'filterPattern' failed to satisfy constraint: Member must have length less than"
            " or equal to 1024"
        )


ODD_MESSAGES = [
    "",
    " ",
    "\n",
    "{",
    "[",
    "]",
    '"',
    "%",
    "\x00\x01",
    "\ud800 lone surrogate",
    "🙂 emoji",
    '{"a":',
    '{"a":NaN}',
    '{"a":1e999}',
    "[" * 100_000,
    '{"a":' * 100_000,
    "x " * 200_000,
    '{"eventName":"' + "y" * 1_000_000 + '"}',
]
PATTERNS = [
    "",
    "ERROR -DEBUG",
    "?ERROR ?WARN",
    "%^ERR.*$%",
    "{ $.eventName = ConsoleLogin || $.a > 1 }",
    "{ $.a[*] IS NULL || $.* NOT EXISTS }",
    "{ $.a[0].b = %x% }",
    "[a, b = 4* && b != 5, ..., c > 1]",
    "[]",
]


class TestRobustness:
    @pytest.mark.parametrize("pattern", PATTERNS)
    def test_matching_never_raises(self, pattern):
        """Empty, broken, deeply nested, binary and huge messages give a bool, never an error."""
        compiled = compile_filter(pattern)
        for message in ODD_MESSAGES:
            assert compiled.matches(message) in (True, False)
            assert compiled.extracted_values(message) is None or compiled.matches(message)

    @pytest.mark.parametrize("pattern", PATTERNS)
    def test_parsed_matching_never_raises(self, pattern):
        """Documents orjson cannot write, or that are not objects, give a bool too."""
        compiled = compile_filter(pattern)
        for document in (None, 1, "s", [1], {"a": object()}, {"a": {"b": [None]}}, {1: 2}):
            assert compiled.matches_parsed(document) in (True, False)

    def test_deep_nesting_within_the_length_limit_compiles(self):
        """Hundreds of parentheses, or 80 alternating levels of || and &&, compile and match."""
        assert compile_filter("{" + "(" * 500 + "$.a = 1" + ")" * 500 + "}").matches('{"a":1}')
        assert compile_filter("[" + "(" * 300 + "a = 1" + ")" * 300 + "]").matches("1")
        nested = "$.a=1"
        for level in range(80):
            nested = f"$.b=2{'||' if level % 2 else '&&'}({nested})"
        assert compile_filter("{" + nested + "}").matches('{"a":1,"b":2}')
        assert not compile_filter("{" + nested + "}").matches('{"a":1,"b":3}')

    def test_json_pattern_on_non_json_is_false(self):
        """A JSON pattern never matches text that is not one JSON object."""
        compiled = compile_filter("{ $.x NOT EXISTS }")
        assert [compiled.matches(m) for m in ("", "text", "[]", "{} {}", "null")] == [False] * 5
        assert compiled.matches("  {}  ")

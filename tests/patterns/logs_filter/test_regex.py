"""``%regex%`` patterns: AWS's subset, alone and inside JSON and space-delimited patterns."""

from __future__ import annotations

import pytest

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter import compile_filter


def matches(pattern: str, message: str) -> bool:
    return compile_filter(pattern).matches(message)


class TestRegex:
    def test_regex_is_an_unanchored_search(self):
        """``%AUTHORIZED%`` matches ``UNAUTHORIZED`` (the docs' own example)."""
        assert matches("%AUTHORIZED%", "[ERROR 401] UNAUTHORIZED REQUEST")

    def test_anchors_are_the_whole_message_and_s_matches_newline(self):
        """``^``/``$`` anchor the message, not lines; ``\\s`` matches a newline (recorded AWS)."""
        pattern = compile_filter(r"%^ERROR\s[0-9]{3}$%")
        assert pattern.matches("ERROR 500")
        assert pattern.matches("ERROR\n500")
        assert not pattern.matches("xERROR 500")
        assert not pattern.matches("ERROR 5000")

    def test_alternation_has_the_lowest_precedence(self):
        """``%gra|ey%`` is ``gra`` or ``ey``."""
        assert matches("%gra|ey%", "grey")
        assert matches("%gra|ey%", "gray")

    def test_alternation_with_a_space(self):
        """The docs' own example holds a space: each alternative is anchored on its own."""
        pattern = compile_filter("%^starting|^initializing|^shutting down%")
        assert pattern.matches("shutting down now")
        assert not pattern.matches("skipping initializing cache")

    def test_unescaped_dot_matches_any_character(self):
        """``%10.10.0.1%`` matches ``10010,051`` (the docs' warning, and recorded AWS)."""
        assert matches("%10.10.0.1%", "10010,051")
        assert not matches(r"%10\.10\.0\.1%", "10010,051")

    def test_hex_escapes_reach_other_characters(self):
        """``\\xhh`` matches characters the subset does not allow literally."""
        assert matches(r"%\x21%", "hello!")
        assert matches(r"%\x28%", "f(x)")
        assert not matches(r"%\x21%", "hello(")

    def test_bounded_repetition_and_negated_class(self):
        """``{m,n}``, ``{,n}`` and ``[^...]`` are supported."""
        assert matches("%^a{3,5}$%", "aaaa")
        assert matches("%^a{,2}b$%", "aab")
        assert matches("%^[^a-z]+$%", "ERROR\n500")

    def test_regex_is_case_sensitive(self):
        """``%ERROR|WARN%`` does not match lower case."""
        assert not matches("%ERROR|WARN%", "error 500")

    def test_regex_as_a_json_value(self):
        """``{ $.f = %re% }`` searches the string value."""
        assert matches("{ $.v = %^Al.*% }", '{"v":"Alpha"}')
        assert not matches("{ $.v = %^Al.*% }", '{"v":"alpha"}')

    def test_regex_as_a_space_delimited_condition(self):
        """``[f = %re%, ...]`` searches the field."""
        pattern = compile_filter(r"[ip = %127\.0\.0\.[1-3]%, ...]")
        assert pattern.matches("127.0.0.3 - frank")
        assert not pattern.matches("127.0.0.4 - frank")

    @pytest.mark.parametrize(
        ("pattern", "message"),
        [
            ("%^(ERROR|WARN)%", "Invalid character(s) in term '%^('"),
            ("%ERROR(?= 500)%", "Invalid character(s) in term '%ERROR('"),
            ("%something!%", "Invalid character(s) in term '%something!'"),
            ("%café%", "Invalid character(s) in term '%café'"),
            (r"%\(x%", "Invalid character(s) in term '%\\('"),
            ("%[abc%", "Failed to compile regular expression."),
            ("%*abc%", "Failed to compile regular expression."),
        ],
    )
    def test_rejected_regex(self, pattern, message):
        """Groups, symbols outside the subset, multi-byte text and broken regex are rejected."""
        with pytest.raises(InvalidFilterPattern) as raised:
            compile_filter(pattern)
        assert str(raised.value) == message

    def test_at_most_two_regex_per_pattern(self):
        """A third regex fails with AWS's quota message."""
        compile_filter("{ $.v = %Alpha% || $.v = %Beta% }")
        with pytest.raises(InvalidFilterPattern, match="maximum of 2 regular expressions"):
            compile_filter("{ $.v = %Alpha% || $.v = %Beta% || $.v = %Gamma% }")

    @pytest.mark.parametrize("body", ["[[]", "[a||b]", "[+--]", "[]a]", "[^]a]"])
    def test_classes_compile_without_python_warnings(self, body):
        """Class syntax Python would warn about compiles quietly (warnings are errors here)."""
        compile_filter(f"%{body}%").matches("a[b]|-")

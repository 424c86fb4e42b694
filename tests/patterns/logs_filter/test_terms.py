"""Term patterns over unstructured events."""

from __future__ import annotations

import pytest

from trailguard.patterns.logs_filter import FilterKind, compile_filter


def matches(pattern: str, message: str) -> bool:
    return compile_filter(pattern).matches(message)


class TestTerms:
    def test_kind(self):
        """Anything that is not JSON or space-delimited is a term pattern."""
        assert compile_filter("ERROR").kind is FilterKind.TERMS
        assert compile_filter("ERROR").kind == "terms"

    @pytest.mark.parametrize(
        "message", ["TERROR REQUEST", "ERROR_ARGUMENTS", "[ERROR] x", "ERRORS"]
    )
    def test_term_is_a_plain_substring(self, message):
        """A term matches anywhere in the message, with no word boundaries."""
        assert matches("ERROR", message)

    def test_terms_are_case_sensitive(self):
        """``ERROR`` does not match ``error``."""
        assert not matches("ERROR", "error arguments request")
        assert matches("error", "error arguments request")

    @pytest.mark.parametrize("message", ["ARGUMENTS ERROR", "ERROR\nARGUMENTS", "ERROR_ARGUMENTS"])
    def test_plain_terms_are_anded_in_any_order(self, message):
        """Every plain term must occur, in any order and with any separator."""
        assert matches("ERROR ARGUMENTS", message)
        assert not matches("ERROR ARGUMENTS", "ERROR BAD REQUEST")

    def test_quoted_phrase_is_exact(self):
        """A quoted phrase is one literal substring, spacing included."""
        assert matches('"INTERNAL SERVER ERROR"', "ERROR INTERNAL SERVER ERROR")
        assert not matches('"INTERNAL SERVER ERROR"', "ERROR INTERNAL  SERVER ERROR")

    def test_quoted_phrase_may_hold_punctuation_and_escaped_quotes(self):
        """Inside quotes any character goes, and a backslash escapes a quote."""
        assert matches('"hello-world"', "say hello-world")
        assert matches(r'"say \"hi\""', 'they say "hi" twice')

    def test_optional_terms_are_ored(self):
        """With only ``?`` terms, any one of them is enough."""
        pattern = compile_filter("?ERROR ?WARN")
        assert pattern.matches("WARN message")
        assert pattern.matches("ERROR message")
        assert not pattern.matches("INFO message")

    def test_optional_terms_are_ignored_beside_a_plain_term(self):
        """``?ERROR ?ARGUMENTS REQUEST`` is the same as ``REQUEST`` (docs and recorded AWS)."""
        pattern = compile_filter("?ERROR ?ARGUMENTS REQUEST")
        assert pattern.matches("INFO REQUEST")
        assert not pattern.matches("ERROR ARGUMENTS")

    def test_optional_terms_are_ignored_beside_an_exclusion(self):
        """``?ERROR ?ARGUMENTS -REQUEST`` is the same as ``-REQUEST`` (recorded AWS)."""
        pattern = compile_filter("?ERROR ?ARGUMENTS -REQUEST")
        assert pattern.matches("plain")
        assert not pattern.matches("ERROR ARGUMENTS REQUEST")

    def test_exclusions_alone_match_what_lacks_them(self):
        """A pattern of ``-`` terms only matches every event without any of them."""
        assert matches("-ERROR", "plain")
        assert not matches("-ERROR", "TERROR REQUEST")

    def test_excluded_phrase(self):
        """``-"BAD REQUEST"`` excludes the whole phrase."""
        assert matches('ERROR -"BAD REQUEST"', "ERROR ARGUMENTS REQUEST")
        assert not matches('ERROR -"BAD REQUEST"', "ERROR BAD REQUEST")

    @pytest.mark.parametrize("pattern", ["", "   ", "\t"])
    def test_empty_pattern_matches_everything(self, pattern):
        """The empty pattern (after stripping whitespace) matches every event."""
        assert matches(pattern, "anything at all")
        assert matches(pattern, " ")

    def test_quoted_space_is_not_match_all(self):
        """The docs call ``" "`` match-all; recorded AWS treats it as a one-space substring."""
        assert matches('" "', "ERROR ARGUMENTS")
        assert not matches('" "', "plain")
        assert not matches('" "', "ERROR\nARGUMENTS")

    def test_term_pattern_over_a_cloudtrail_line(self, docs_records):
        """A term pattern reads the record's compact JSON line, as CloudWatch Logs stores it."""
        sign_in = docs_records[0]
        pattern = compile_filter('"\\"eventName\\":\\"ConsoleLogin\\"" -"\\"MFAUsed\\":\\"Yes\\""')
        assert pattern.matches_parsed(sign_in)
        assert not pattern.matches_parsed(docs_records[1])

    def test_parsed_record_uses_the_given_line(self):
        """``matches_parsed`` reads ``message`` when the caller passes the line."""
        pattern = compile_filter("needle")
        assert pattern.matches_parsed({"a": 1}, "a needle here")
        assert not pattern.matches_parsed({"a": "needle"}, "haystack")

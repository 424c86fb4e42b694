"""Space-delimited patterns over access-log style events."""

from __future__ import annotations

import pytest

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter import FilterKind, compile_filter

ACCESS = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
SEVEN = "[ip, identity, user, timestamp, request, status, bytes]"


class TestSpaceDelimited:
    def test_kind(self):
        """A pattern in square brackets is space-delimited."""
        assert compile_filter(SEVEN).kind is FilterKind.SPACE_DELIMITED

    def test_brackets_and_quotes_group_a_field(self):
        """``[...]`` and ``"..."`` make one field each, without the brackets or quotes."""
        assert compile_filter(SEVEN).extracted_values(ACCESS) == {
            "$ip": "127.0.0.1",
            "$identity": "-",
            "$user": "frank",
            "$timestamp": "10/Oct/2000:13:25:15 -0700",
            "$request": "GET /index.html HTTP/1.0",
            "$status": "404",
            "$bytes": "1534",
        }

    def test_runs_of_spaces_and_tabs_separate_fields(self):
        """Several spaces count as one separator, and tabs separate too."""
        tabbed = ACCESS.replace(" - ", "\t-\t").replace("404 ", "404  ")
        assert compile_filter(SEVEN).extracted_values(tabbed)["$status"] == "404"  # type: ignore[index]

    def test_last_name_takes_the_rest_of_the_line(self):
        """The last name takes the rest as written, so ``bytes > 1000`` fails on ``1534 extra``."""
        pattern = compile_filter(
            "[ip, identity, user, timestamp, request, status >= 400, bytes > 1000]"
        )
        assert pattern.matches(ACCESS)
        assert not pattern.matches(ACCESS + " extra")
        values = compile_filter(SEVEN).extracted_values(ACCESS + "  extra")
        assert values is not None
        assert values["$bytes"] == "1534  extra"

    def test_first_word_pattern_matches_longer_lines(self):
        """The 2020 docs say ``[w1=ERROR, w2]`` misses ``ERROR WARN message``; AWS matches it."""
        pattern = compile_filter("[w1=ERROR, w2]")
        assert pattern.matches("ERROR WARN message")
        assert pattern.extracted_values("ERROR WARN message") == {
            "$w1": "ERROR",
            "$w2": "WARN message",
        }
        assert not pattern.matches("ERROR")

    def test_unterminated_quote_is_an_ordinary_character(self):
        """``ERROR "unterminated words`` has the fields ``ERROR``, ``"unterminated``, ``words``."""
        values = compile_filter("[]").extracted_values('ERROR "unterminated words')
        assert values == {"$1": "ERROR", "$2": '"unterminated', "$3": "words"}

    def test_ellipsis_binds_the_last_fields(self):
        """Names after ``...`` take the last fields; the skipped ones are ``$k`` by position."""
        pattern = compile_filter("[ip, ..., status = 4*, bytes]")
        values = pattern.extracted_values(ACCESS)
        assert values is not None
        assert values["$status"] == "404"
        assert values["$bytes"] == "1534"
        assert values["$2"] == "-"
        assert values["$5"] == "GET /index.html HTTP/1.0"

    def test_ellipsis_needs_the_named_fields(self):
        """``[ip, ..., status, bytes]`` needs at least three fields; ``[..., x]`` any one."""
        assert not compile_filter("[ip, ..., status, bytes]").matches('ERROR "two words"')
        assert compile_filter("[..., bytes]").matches("ERROR")
        assert not compile_filter("[..., bytes]").matches("   ")

    def test_wildcards_and_alternatives(self):
        """``*`` globs, and ``||``/``&&`` combine conditions inside one slot."""
        assert compile_filter(
            "[..., request = *.html*, status = 404 || status = 410, bytes]"
        ).matches(ACCESS)
        exclude = compile_filter("[w1!=ERROR && w1!=WARNING, w2]")
        assert exclude.matches("INFO request accepted")
        assert not exclude.matches("WARNING request")

    def test_numeric_conditions_need_numeric_text(self):
        """``>``, ``<``, ``>=``, ``<=`` compare numbers; text that is not a number fails."""
        assert compile_filter("[a, b > 1000]").matches("x 1534")
        assert compile_filter("[a, b <= 1e3]").matches("x 999.5")
        assert not compile_filter("[a, b > 1000]").matches("x lots")

    def test_quoted_condition_value(self):
        """A quoted value compares with the field's text."""
        pattern = compile_filter('[kind = "SPACE", value, bucket]')
        assert pattern.matches('SPACE "17.5" A')
        assert not pattern.matches("OTHER 1 A")

    def test_condition_may_name_another_field(self):
        """The 2020 docs' ``status_code = 4* && bytes > 1000`` form reads the other field."""
        pattern = compile_filter("[ip, status_code = 4* && bytes > 1000, bytes]")
        assert pattern.matches("1.2.3.4 404 1534")
        assert not pattern.matches("1.2.3.4 404 15")

    @pytest.mark.parametrize(
        ("pattern", "message"),
        [
            ("[word, word]", "Duplicate field 'word'"),
            ("[..., status, ...]", "Duplicate field '...'"),
            ("[a, b = $x]", "Invalid character(s) in term '$'"),
            ("[a, b,]", "Invalid metric filter pattern"),
            ("[a = 1 || c = 2, b]", "Invalid metric filter pattern"),
            ("[a AND b]", "Invalid metric filter pattern"),
            ("[a == 1]", "Invalid metric filter pattern"),
            ("[a", "Invalid metric filter pattern"),
        ],
    )
    def test_rejected(self, pattern, message):
        """Duplicate names, stray characters, empty slots and unknown names are rejected."""
        with pytest.raises(InvalidFilterPattern) as raised:
            compile_filter(pattern)
        assert str(raised.value) == message

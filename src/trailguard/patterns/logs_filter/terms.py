"""Term patterns for unstructured events: ``ERROR -DEBUG``, ``?ERROR ?WARN``, ``"a phrase"``.

Every term is a case-sensitive substring test over the raw message, with no word boundaries
(``ERROR`` matches ``TERROR``); a ``%regex%`` term is an unanchored search. Plain terms must all
occur, ``-`` terms must all be absent, and ``?`` terms (any one of them) count only when the
pattern has no plain or ``-`` term.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-events.html
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from operator import contains

from trailguard.patterns.logs_filter._base import Fields, FilterKind, FilterPattern
from trailguard.patterns.logs_filter._messages import MAX_REGEX, TOO_MANY_REGEX, bad_term, invalid
from trailguard.patterns.logs_filter._tokens import scan_quoted
from trailguard.patterns.logs_filter.regex import compile_regex, scan_regex

# Characters a term may use unquoted; the docs ask for quotes around anything else, and AWS
# rejects at least ( : ! * " , [ \ ` with "Invalid character(s) in term".
TERM_CHARS = frozenset(string.ascii_letters + string.digits + "_./@-")
WHITESPACE = frozenset(" \t\r\n")

Test = Callable[[str], object]


@dataclass(frozen=True, slots=True)
class Term:
    """One token of a term pattern: a substring or a regex, and its role."""

    role: str  # "required", "optional" or "excluded"
    source: str
    test: Test


class TermPattern(FilterPattern):
    """A compiled term pattern (also a lone ``%regex%`` and the empty match-all pattern)."""

    kind = FilterKind.TERMS

    def __init__(self, text: str, terms: list[Term]) -> None:
        super().__init__(text)
        self.terms = tuple(terms)
        self._required = tuple(t.test for t in terms if t.role == "required")
        self._excluded = tuple(t.test for t in terms if t.role == "excluded")
        # ?-terms are ignored as soon as there is a plain or an excluded term.
        if self._required or self._excluded:
            self._optional: tuple[Test, ...] = ()
        else:
            self._optional = tuple(t.test for t in terms if t.role == "optional")

    def matches(self, message: str) -> bool:
        """Whether the pattern matches one log event's message."""
        for test in self._required:
            if not test(message):
                return False
        for test in self._excluded:
            if test(message):
                return False
        if not self._optional:
            return True
        return any(test(message) for test in self._optional)

    def fields(self, message: str) -> Fields | None:
        """A matching message offers no fields (``extractedValues`` is ``{}``)."""
        return Fields() if self.matches(message) else None


def compile_terms(source: str) -> TermPattern:
    """Compile a term pattern."""
    text = source.strip()
    terms: list[Term] = []
    regex_count = 0
    position = 0
    while position < len(text):
        if text[position] in WHITESPACE:
            position += 1
            continue
        start = position
        role = "required"
        if text[position] in "?-":
            role = "optional" if text[position] == "?" else "excluded"
            position += 1
        if position >= len(text) or text[position] in WHITESPACE:
            raise invalid()
        char = text[position]
        if char == '"':
            position, phrase, _ = scan_quoted(text, position)
            test: Test = partial(contains_text, phrase)
        elif char == "%":
            end = scan_regex(text, position)
            regex_count += 1
            if regex_count > MAX_REGEX:
                raise invalid(TOO_MANY_REGEX)
            test = compile_regex(text[position + 1 : end - 1]).search
            position = end
        else:
            word_start = position
            while position < len(text) and text[position] not in WHITESPACE:
                if text[position] not in TERM_CHARS:
                    raise bad_term(text[position])
                position += 1
            test = partial(contains_text, text[word_start:position])
        if position < len(text) and text[position] not in WHITESPACE:
            raise bad_term(text[position])
        terms.append(Term(role, text[start:position], test))
    return TermPattern(source, terms)


def contains_text(term: str, message: str) -> bool:
    """Whether ``term`` occurs in ``message``."""
    return contains(message, term)

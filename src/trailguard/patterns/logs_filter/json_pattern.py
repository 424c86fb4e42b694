"""JSON patterns: ``{ $.eventName = "ConsoleLogin" && $.errorCode NOT EXISTS }``.

Only a message that is, as a whole, one JSON object can match. A condition holds when any leaf
its selector resolves to satisfies it; ``&&`` binds tighter than ``||``; parentheses group.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

from collections.abc import Callable

from trailguard.patterns.logs_filter import json_selector
from trailguard.patterns.logs_filter._base import Fields, FilterKind, FilterPattern
from trailguard.patterns.logs_filter._json_ast import (
    Check,
    Comparison,
    Condition,
    JsonExpr,
    conditions,
)
from trailguard.patterns.logs_filter._json_codegen import build_test
from trailguard.patterns.logs_filter._json_doc import parse_message
from trailguard.patterns.logs_filter._messages import WILDCARD_SELECTORS, bad_term, invalid
from trailguard.patterns.logs_filter._tokens import Kind, Parser, lex, parse_expression, parse_value

MAX_WILDCARD_SELECTORS = 3
CHECKS = frozenset({"NULL", "TRUE", "FALSE"})

DocumentTest = Callable[..., bool]


class JsonPattern(FilterPattern):
    """A compiled JSON pattern; ``matches_parsed`` runs straight on a parsed record."""

    kind = FilterKind.JSON

    def __init__(self, text: str, expression: JsonExpr, test: DocumentTest) -> None:
        super().__init__(text)
        self.expression = expression
        self._test = test
        # The compiled test takes (document, message=None) itself, so that evaluating a parsed
        # record costs one call (see benchmarks/bench_logs_filter.py).
        self.matches_parsed = test  # type: ignore[method-assign]

    def matches(self, message: str) -> bool:
        """Whether the message is one JSON object that satisfies the pattern."""
        document = parse_message(message)
        return document is not None and self._test(document)

    def matches_parsed(self, document: object, message: str | None = None) -> bool:  # noqa: ARG002
        """Whether a parsed record (a dict) satisfies the pattern; ``message`` is not needed."""
        return self._test(document)

    def fields(self, message: str) -> Fields | None:
        """The parsed message, when it matches."""
        document = parse_message(message)
        if document is None or not self._test(document):
            return None
        return Fields(document=document)

    def fields_parsed(self, document: object, message: str | None = None) -> Fields | None:  # noqa: ARG002
        """The parsed record itself, when it matches."""
        return Fields(document=document) if self._test(document) else None


def compile_json(source: str) -> JsonPattern:
    """Compile a JSON pattern (the stripped text starts with ``{``)."""
    text = source.strip()
    if len(text) < 2 or not text.endswith("}"):
        raise invalid()
    parser = Parser(lex(text[1:-1], json=True))
    expression = parse_expression(parser, _parse_condition)
    if parser.peek() is not None:
        raise invalid()
    if sum(c.selector.has_wildcard for c in conditions(expression)) > MAX_WILDCARD_SELECTORS:
        raise invalid(WILDCARD_SELECTORS)
    return JsonPattern(source, expression, build_test(expression, source))


def _parse_condition(parser: Parser) -> Condition:
    token = parser.expect(Kind.SELECTOR)
    selector = json_selector.parse(token.text)
    following = parser.take()
    if following.kind is Kind.OP:
        return Comparison(selector, following.text, parse_value(parser, following.text))
    if following.kind is Kind.WORD and following.text == "IS":
        test = parser.take()
        if test.kind is Kind.WORD and test.text in CHECKS:
            return Check(selector, test.text)
        if test.kind is Kind.WORD:
            # Recorded: "{ $.v IS NOT NULL }" fails with "Invalid character(s) in term 'NOT'".
            raise bad_term(test.source)
        raise invalid()
    if following.kind is Kind.WORD and following.text == "NOT":
        test = parser.take()
        if test.kind is Kind.WORD and test.text == "EXISTS":
            return Check(selector, "NOT EXISTS")
    raise invalid()

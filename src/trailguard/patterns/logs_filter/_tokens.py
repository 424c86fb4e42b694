"""The lexer and boolean-expression parser shared by JSON and space-delimited patterns.

AWS lexes the whole pattern before it parses it: a character that cannot start or continue a
token is reported as "Invalid character(s) in term '...'" (quoting the token so far), even when
an earlier token would not parse; anything that lexes but does not parse is the generic
"Invalid metric filter pattern".
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

from trailguard.patterns.logs_filter import json_selector
from trailguard.patterns.logs_filter._messages import (
    MAX_REGEX,
    TOO_MANY_REGEX,
    bad_term,
    invalid,
)
from trailguard.patterns.logs_filter._values import (
    NUMBER,
    Glob,
    NumberValue,
    RegexValue,
    TextValue,
    Value,
)
from trailguard.patterns.logs_filter.regex import compile_regex, scan_regex

if TYPE_CHECKING:
    from collections.abc import Callable

# Unquoted values and names: letters, digits and the punctuation values such as
# kms.amazonaws.com, 123.123.*, -1, +1000 or /index.html need. Anything else must be quoted.
WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_.*+/@-")
WHITESPACE = " \t\r\n"
RELATIONAL = frozenset({"<", "<=", ">", ">="})
NULL_WORDS = frozenset({"null", "NULL"})


class Kind(Enum):
    """What a token is."""

    SELECTOR = "selector"
    WORD = "word"
    STRING = "string"
    REGEX = "regex"
    OP = "op"
    AND = "&&"
    OR = "||"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its value and its text as written."""

    kind: Kind
    text: str
    source: str
    literal_edges: tuple[bool, bool] = (False, False)


def scan_quoted(text: str, start: int) -> tuple[int, str, tuple[bool, bool]]:
    r"""Read the ``"..."`` opening at ``text[start]``: (end, value, escaped first/last char).

    A backslash takes the next character literally (``\"``, ``\\``, ``\*``).
    """
    chars: list[str] = []
    first_escaped = last_escaped = False
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == '"':
            return position + 1, "".join(chars), (first_escaped, last_escaped)
        last_escaped = char == "\\" and position + 1 < len(text)
        if last_escaped:
            position += 1
            char = text[position]
            first_escaped = first_escaped or not chars
        chars.append(char)
        position += 1
    raise bad_term(text[start:])


def lex(body: str, *, json: bool) -> list[Token]:
    """The tokens of a JSON (``json=True``) or space-delimited pattern's inside."""
    tokens: list[Token] = []
    position = 0
    regex_count = 0
    while position < len(body):
        char = body[position]
        start = position
        if char in WHITESPACE:
            position += 1
            continue
        if char in "()":
            tokens.append(Token(Kind(char), char, char))
            position += 1
        elif char == "," and not json:
            tokens.append(Token(Kind.COMMA, char, char))
            position += 1
        elif char in "&|":
            if body.startswith(char * 2, position):
                tokens.append(Token(Kind(char * 2), char * 2, char * 2))
                position += 2
            else:
                raise bad_term(body[position : position + 2])
        elif char in "=<>!":
            position += 2 if body.startswith("=", position + 1) and char != "=" else 1
            op = body[start:position]
            if op == "!":
                raise bad_term(body[start : start + 2])
            tokens.append(Token(Kind.OP, op, op))
        elif char == '"':
            position, value, edges = scan_quoted(body, start)
            tokens.append(Token(Kind.STRING, value, body[start:position], edges))
        elif char == "%":
            position = scan_regex(body, start)
            regex_count += 1
            if regex_count > MAX_REGEX:
                raise invalid(TOO_MANY_REGEX)
            tokens.append(Token(Kind.REGEX, body[start + 1 : position - 1], body[start:position]))
        elif char == "$" and json:
            position = json_selector.scan(body, start)
            tokens.append(Token(Kind.SELECTOR, body[start:position], body[start:position]))
        elif char in WORD_CHARS:
            while position < len(body) and body[position] in WORD_CHARS:
                position += 1
            word = body[start:position]
            tokens.append(Token(Kind.WORD, word, word))
        else:
            raise bad_term(char)
    return tokens


class Parser:
    """A cursor over tokens; running out of tokens is the generic error."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self, ahead: int = 0) -> Token | None:
        """The next token (or the one ``ahead`` after it), without taking it."""
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> Token:
        """Take the next token."""
        token = self.peek()
        if token is None:
            raise invalid()
        self.position += 1
        return token

    def take_if(self, kind: Kind) -> Token | None:
        """Take the next token if it is of ``kind``."""
        token = self.peek()
        if token is None or token.kind is not kind:
            return None
        self.position += 1
        return token

    def expect(self, kind: Kind) -> Token:
        """Take the next token, which must be of ``kind``."""
        token = self.take()
        if token.kind is not kind:
            raise invalid()
        return token


L = TypeVar("L")


@dataclass(frozen=True, slots=True)
class AllOf(Generic[L]):
    """``a && b && ...``."""

    parts: tuple[BoolExpr[L], ...]


@dataclass(frozen=True, slots=True)
class AnyOf(Generic[L]):
    """``a || b || ...``."""

    parts: tuple[BoolExpr[L], ...]


BoolExpr: TypeAlias = "L | AllOf[L] | AnyOf[L]"


def parse_expression(parser: Parser, condition: Callable[[Parser], L]) -> BoolExpr[L]:
    """Conditions joined by ``&&`` (binding tighter) and ``||``, grouped by parentheses.

    An operator-precedence parse with explicit stacks, so that deep nesting cannot exhaust
    Python's recursion limit. It stops before the first token that cannot continue the
    expression (a comma, or a parenthesis it did not open).
    """
    operands: list[BoolExpr[L]] = []
    operators: list[Kind] = []
    while True:
        while parser.take_if(Kind.LPAREN):
            operators.append(Kind.LPAREN)
        operands.append(condition(parser))
        while True:
            token = parser.peek()
            if token is not None and token.kind in (Kind.AND, Kind.OR):
                parser.take()
                while operators and _binds_first(operators[-1], token.kind):
                    _reduce(operands, operators.pop())
                operators.append(token.kind)
                break
            if token is not None and token.kind is Kind.RPAREN and Kind.LPAREN in operators:
                parser.take()
                while (operator := operators.pop()) is not Kind.LPAREN:
                    _reduce(operands, operator)
                continue
            while operators:
                operator = operators.pop()
                if operator is Kind.LPAREN:
                    raise invalid()
                _reduce(operands, operator)
            return operands[0]


def _binds_first(stacked: Kind, incoming: Kind) -> bool:
    """Whether the stacked operator applies before ``incoming`` (``&&`` before ``||``)."""
    return stacked is not Kind.LPAREN and (stacked is Kind.AND or incoming is Kind.OR)


def _reduce(operands: list[BoolExpr[L]], operator: Kind) -> None:
    """Replace the top two operands by their ``&&`` or ``||``, flattening chains."""
    right = operands.pop()
    left = operands.pop()
    group = AllOf if operator is Kind.AND else AnyOf
    parts = [*_flat(left, group), *_flat(right, group)]
    operands.append(group(tuple(parts)))


def _flat(node: BoolExpr[L], group: type[AllOf[L] | AnyOf[L]]) -> tuple[BoolExpr[L], ...]:
    return node.parts if isinstance(node, group) else (node,)


def parse_value(parser: Parser, op: str) -> Value:
    """The value after ``op``; a relational operator needs a number."""
    token = parser.take()
    if token.kind is Kind.WORD:
        if NUMBER.fullmatch(token.text):
            return NumberValue(token.text, float(token.text))
        if token.text in NULL_WORDS:
            raise invalid()
    elif token.kind not in (Kind.STRING, Kind.REGEX):
        raise invalid()
    if op in RELATIONAL:
        raise bad_term(token.source)
    if token.kind is Kind.REGEX:
        return RegexValue(compile_regex(token.text), token.source)
    first_escaped, last_escaped = token.literal_edges
    glob = Glob.parse(token.text, leading=not first_escaped, trailing=not last_escaped)
    return TextValue(glob, token.source)

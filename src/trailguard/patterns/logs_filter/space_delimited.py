"""Space-delimited patterns: ``[ip, user, ..., status_code = 4*, bytes > 1000]``.

An event splits into fields at runs of spaces and tabs; ``[...]`` and ``"..."`` each make one
field, without their brackets or quotes, and an unmatched quote is an ordinary character.
Without ``...``, N names need at least N fields and the last name takes the rest of the line as
written; ``...`` stands for zero or more unnamed fields, so the names after it take the last
fields. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from trailguard.patterns.logs_filter._base import Fields, FilterKind, FilterPattern
from trailguard.patterns.logs_filter._messages import duplicate_field, invalid
from trailguard.patterns.logs_filter._tokens import (
    AllOf,
    AnyOf,
    BoolExpr,
    Kind,
    Parser,
    lex,
    parse_expression,
    parse_value,
)
from trailguard.patterns.logs_filter._values import (
    RELATIONAL_TESTS,
    NumberValue,
    RegexValue,
    TextValue,
    Value,
    as_number,
)

ELLIPSIS = "..."
NAME = re.compile(r"[A-Za-z0-9_]+")
FIELD = re.compile(r'\[([^\]]*)\]|"([^"]*)"|[^ \t]+')

TextTest = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class FieldCondition:
    """``name op value`` inside a field slot."""

    name: str
    op: str
    value: Value


@dataclass(frozen=True, slots=True)
class Slot:
    """One comma-separated slot: a name (or ``...``) and its optional condition."""

    name: str
    condition: BoolExpr[FieldCondition] | None = None


class SpaceDelimitedPattern(FilterPattern):
    """A compiled space-delimited pattern."""

    kind = FilterKind.SPACE_DELIMITED

    def __init__(self, text: str, slots: list[Slot]) -> None:
        super().__init__(text)
        self.slots = tuple(slots)
        names = [slot.name for slot in slots]
        self._ellipsis = ELLIPSIS in names
        cut = names.index(ELLIPSIS) if self._ellipsis else len(names)
        self._before = tuple(names[:cut])
        self._after = tuple(names[cut + 1 :])
        self._needed = max(1, len(self._before) + len(self._after))
        self._tests = tuple(_compile(slot.condition) for slot in slots if slot.condition)

    def matches(self, message: str) -> bool:
        """Whether the message has the fields and every field condition holds."""
        return self.fields(message) is not None

    def fields(self, message: str) -> Fields | None:
        """The extracted values (``$name``, ``$3``) of a matching message."""
        values = self._bind(message)
        if values is None:
            return None
        for test in self._tests:
            if not test(values):
                return None
        return Fields(values)

    def _bind(self, message: str) -> dict[str, str] | None:
        found = list(FIELD.finditer(message))
        if len(found) < self._needed:
            return None
        texts = [_unwrap(match) for match in found]
        if not self._before and not self._after:
            return {f"${position}": text for position, text in enumerate(texts, 1)}
        if not self._ellipsis:
            values = {f"${name}": text for name, text in zip(self._before, texts, strict=False)}
            last = len(self._before) - 1
            if len(found) > len(self._before):
                # The last name takes the rest of the line as written.
                values[f"${self._before[last]}"] = message[found[last].start() : found[-1].end()]
            return values
        values = {f"${name}": text for name, text in zip(self._before, texts, strict=False)}
        tail = len(texts) - len(self._after)
        for position in range(len(self._before), tail):
            values[f"${position + 1}"] = texts[position]
        values.update(
            {f"${name}": text for name, text in zip(self._after, texts[tail:], strict=True)}
        )
        return values


def _unwrap(match: re.Match[str]) -> str:
    if match.group(1) is not None:
        return match.group(1)
    if match.group(2) is not None:
        return match.group(2)
    return match.group(0)


def compile_space_delimited(source: str) -> SpaceDelimitedPattern:
    """Compile a space-delimited pattern (the stripped text starts with ``[``)."""
    text = source.strip()
    if len(text) < 2 or not text.endswith("]"):
        raise invalid()
    parser = Parser(lex(text[1:-1], json=False))
    slots: list[Slot] = []
    while parser.peek() is not None:
        slots.append(_parse_slot(parser))
        if parser.take_if(Kind.COMMA) and parser.peek() is None:
            raise invalid()
    names = [slot.name for slot in slots]
    for position, name in enumerate(names):
        if name in names[:position]:
            raise duplicate_field(name)
    for slot in slots:
        if slot.condition is not None and not _names(slot.condition) <= set(names):
            raise invalid()
    return SpaceDelimitedPattern(source, slots)


def _parse_slot(parser: Parser) -> Slot:
    """One slot: a bare name or ``...``, or conditions on a name."""
    first, following = parser.peek(), parser.peek(1)
    if (
        first is not None
        and first.kind is Kind.WORD
        and (following is None or following.kind is Kind.COMMA)
    ):
        parser.take()
        if first.text != ELLIPSIS and not NAME.fullmatch(first.text):
            raise invalid()
        return Slot(first.text)
    condition = parse_expression(parser, _parse_condition)
    after = parser.peek()
    if after is not None and after.kind is not Kind.COMMA:
        raise invalid()
    return Slot(_first_name(condition), condition)


def _parse_condition(parser: Parser) -> FieldCondition:
    name = parser.expect(Kind.WORD)
    if not NAME.fullmatch(name.text):
        raise invalid()
    op = parser.expect(Kind.OP)
    return FieldCondition(name.text, op.text, parse_value(parser, op.text))


def _first_name(expression: BoolExpr[FieldCondition]) -> str:
    while isinstance(expression, AllOf | AnyOf):
        expression = expression.parts[0]
    return expression.name


def _names(expression: BoolExpr[FieldCondition]) -> set[str]:
    if isinstance(expression, AllOf | AnyOf):
        return set().union(*(_names(part) for part in expression.parts))
    return {expression.name}


def _compile(expression: BoolExpr[FieldCondition]) -> Callable[[Mapping[str, str]], bool]:
    """A test of the extracted values for one slot's condition."""
    if isinstance(expression, AllOf):
        parts = [_compile(part) for part in expression.parts]
        return lambda values: all(part(values) for part in parts)
    if isinstance(expression, AnyOf):
        parts = [_compile(part) for part in expression.parts]
        return lambda values: any(part(values) for part in parts)
    key = f"${expression.name}"
    test = _text_test(expression.op, expression.value)
    return lambda values: test(values[key])


def _text_test(op: str, value: Value) -> TextTest:
    """How one extracted field's text is tested."""
    if isinstance(value, RegexValue):
        search = value.pattern.search
        if op == "=":
            return lambda text: search(text) is not None
        return lambda text: search(text) is None
    if isinstance(value, TextValue):
        glob = value.glob
        if op == "=":
            return glob.matches
        return lambda text: not glob.matches(text)
    return _number_test(op, value)


def _number_test(op: str, value: NumberValue) -> TextTest:
    """Numeric text compares as a number; other text compares with the literal as written."""
    compare = RELATIONAL_TESTS[op]
    number, raw = value.number, value.raw
    if op in ("=", "!="):
        equal = op == "="

        def test(text: str) -> bool:
            found = as_number(text)
            return (found == number if found is not None else text == raw) is equal

        return test
    return lambda text: (found := as_number(text)) is not None and compare(found, number)

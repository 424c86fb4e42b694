"""The EventBridge operator vocabulary: one compile function per operator, in ``OPERATORS``.

Each function reads its operand from the token reader exactly as event-ruler's
``JsonRuleCompiler.processMatchExpression`` does (the order of checks decides the error text)
and returns a ``Matcher``.
https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/JsonRuleCompiler.java
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trailguard.patterns._eventbridge_json import Reader, Token
from trailguard.patterns._eventbridge_values import (
    Address,
    cidr_range,
    comparable,
    ignore_case,
    is_number,
    number_text,
    parse_ip,
    parse_wildcard,
    wildcard_bytes,
    wildcard_test,
)

_ONLY_ONE_KEY = "Only one key allowed in match expression"
_TOO_MANY = "Too many elements in numeric expression"


def _always(_value: object) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Matcher:
    """One entry of a field's list, with a test for each way event-ruler may see a value.

    A field's byte machine reads a value in one of three modes: as text (``on_str`` for strings,
    ``on_other`` for numbers, booleans and null), as a number (``on_number``) when the field has a
    numeric matcher, or as an address (``on_ip``) when it has an IP matcher.
    """

    kind: str
    key: tuple[object, ...]
    on_str: Callable[[str], bool] | None = None
    on_other: Callable[[object], bool] | None = None
    on_number: Callable[[float], bool] | None = None
    on_ip: Callable[[Address], bool] | None = None
    numeric: bool = False
    ip: bool = False
    exact: str | None = None
    wildcards: tuple[tuple[int | None, ...], ...] = ()

    @property
    def index_key(self) -> tuple[str, str] | None:
        """How PatternSet may index this matcher: ("exact"|"prefix"|"suffix", text), or None."""
        if self.kind in {"exact", "prefix", "suffix"}:
            text = self.key[1]
            assert isinstance(text, str)
            return self.kind, text
        return None


EXISTS = Matcher("exists", ("exists",), _always, _always, _always, _always)
ABSENT = Matcher("absent", ("absent",))


def exact_string(text: str) -> Matcher:
    """A plain string in a field's list; an IP literal matches any spelling of that address."""
    address = parse_ip(text)
    if address is None:
        return Matcher("exact", ("exact", text), exact=text)
    return Matcher("ip", ("ip", address), on_ip=address.__eq__, ip=True)


def exact_number(literal: str) -> Matcher:
    """A number in a field's list: equal by double value when comparable, else by literal text."""
    value = comparable(literal)

    def same_text(event_value: object) -> bool:
        return is_number(event_value) and number_text(event_value) == literal

    if value is None:
        return Matcher("literal", ("literal", literal), on_other=same_text)
    return Matcher(
        "number", ("number", value), on_other=same_text, on_number=value.__eq__, numeric=True
    )


def exact_literal(token: Token) -> Matcher:
    """``true``, ``false`` or ``null`` in a field's list."""
    wanted = {Token.TRUE: True, Token.FALSE: False, Token.NULL: None}[token]
    return Matcher("literal", ("literal", token.value), on_other=lambda value: value is wanted)


def _expect_end(reader: Reader, message: str = _ONLY_ONE_KEY) -> None:
    if reader.next() is not Token.END_OBJECT:
        reader.fail(message)


def _string_operand(reader: Reader, message: str) -> str:
    if reader.next() is not Token.STRING:
        reader.fail(message)
    return reader.text


def _exactly(reader: Reader) -> Matcher:
    """``{"exactly": s}``: undocumented exact match, without IP canonicalisation."""
    text = _string_operand(reader, "exact match pattern must be a string")
    _expect_end(reader)
    return Matcher("exact", ("exact", text), exact=text)


def _prefix(reader: Reader) -> Matcher:
    """``{"prefix": s}`` or ``{"prefix": {"equals-ignore-case": s}}``."""
    return _affix(reader, "prefix")


def _suffix(reader: Reader) -> Matcher:
    """``{"suffix": s}`` or ``{"suffix": {"equals-ignore-case": s}}``."""
    return _affix(reader, "suffix")


def _affix(reader: Reader, mode: str) -> Matcher:
    token = reader.next()
    if token is Token.START_OBJECT:
        if reader.next() is not Token.FIELD_NAME:
            reader.fail(f"{mode.capitalize()} expression name not found")
        if reader.name != "equals-ignore-case":
            reader.fail(f"Unsupported {mode} pattern: {reader.name}")
        text = _string_operand(reader, "equals-ignore-case match pattern must be a string")
        _expect_end(reader)
        _expect_end(reader)
        return Matcher(f"{mode}-ic", (mode, "ic", text), on_str=ignore_case(text, mode=mode))
    if token is not Token.STRING:
        reader.fail(f"{mode} match pattern must be a string")
    text = reader.text
    _expect_end(reader)

    def starts(value: str) -> bool:
        return value.startswith(text)

    def ends(value: str) -> bool:
        return value.endswith(text)

    return Matcher(mode, (mode, text), on_str=starts if mode == "prefix" else ends)


def _equals_ignore_case(reader: Reader) -> Matcher:
    """``{"equals-ignore-case": s}``."""
    text = _string_operand(reader, "equals-ignore-case match pattern must be a string")
    _expect_end(reader)
    return Matcher("equals-ic", ("equals-ic", text), on_str=ignore_case(text, mode="equals"))


def _wildcard(reader: Reader) -> Matcher:
    r"""``{"wildcard": s}``: ``*`` is any run of characters; ``\*`` and ``\\`` are escapes."""
    text = _string_operand(reader, "wildcard match pattern must be a string")
    pieces = _parse_wildcard(reader, text)
    _expect_end(reader)
    return Matcher(
        "wildcard",
        ("wildcard", text),
        on_str=wildcard_test(pieces),
        wildcards=(tuple(wildcard_bytes(pieces)),),
    )


def _parse_wildcard(reader: Reader, text: str) -> list[str | None]:
    try:
        return parse_wildcard(text)
    except ValueError as error:
        reader.fail(str(error))


def _exists(reader: Reader) -> Matcher:
    """``{"exists": true}`` (any leaf value) or ``{"exists": false}`` (no leaf value)."""
    token = reader.next()
    if token is not Token.TRUE and token is not Token.FALSE:
        reader.fail("exists match pattern must be either true or false.")
    _expect_end(reader)
    return EXISTS if token is Token.TRUE else ABSENT


def _cidr(reader: Reader) -> Matcher:
    """``{"cidr": "ip/bits"}``; host bits are ignored, /32 and /128 are rejected."""
    text = _string_operand(reader, "prefix match pattern must be a string")
    try:
        size, low, high = cidr_range(text)
    except ValueError as error:
        reader.fail(str(error))
    _expect_end(reader)

    def inside(address: Address) -> bool:
        return address[0] == size and low <= address[1] <= high

    return Matcher("cidr", ("cidr", size, low, high), on_ip=inside, ip=True)


def _numeric(reader: Reader) -> Matcher:
    """``{"numeric": [op, n]}`` or ``[">"|">=", n, "<"|"<=", m]``."""
    if reader.next() is not Token.START_ARRAY:
        reader.fail("Value of numeric must be an array.")
    matcher = _numeric_body(reader)
    _expect_end(reader, _TOO_MANY)
    return matcher


def _numeric_body(reader: Reader) -> Matcher:
    if reader.next() is not Token.STRING:
        reader.fail(f"Invalid member in numeric match: {reader.text}")
    operator = reader.text
    if operator not in {"=", "<", "<=", ">", ">="}:
        reader.next()
        reader.fail(f"Unrecognized numeric range operator: {operator}")
    name = "equals" if operator == "=" else operator
    if reader.next() is not Token.NUMBER:
        reader.fail(f"Value of {name} must be numeric")
    first = reader.text
    token = reader.next()
    if operator in {"=", "<", "<="}:
        if token is not Token.END_ARRAY:
            reader.fail(_TOO_MANY)
        return _range(reader, operator, first)
    if token is Token.END_ARRAY:
        return _range(reader, operator, first)
    if token is not Token.STRING:
        reader.fail(f"Bad value in numeric range: {reader.text}")
    upper = reader.text
    if upper not in {"<", "<="}:
        reader.fail(f"Bad numeric range operator: {upper}")
    if reader.next() is not Token.NUMBER:
        reader.fail(f"Value of {upper} must be numeric")
    second = reader.text
    if reader.next() is not Token.END_ARRAY:
        reader.fail("Too many terms in numeric range expression")
    low, high = _number_operand(reader, first), _number_operand(reader, second)
    if low >= high:
        reader.fail("Bottom must be less than top")
    low_open, high_open = operator == ">", upper == "<"

    def between(value: float) -> bool:
        above = value > low if low_open else value >= low
        return above and (value < high if high_open else value <= high)

    return Matcher(
        "numeric", ("numeric", operator, low, upper, high), on_number=between, numeric=True
    )


def _range(reader: Reader, operator: str, literal: str) -> Matcher:
    bound = _number_operand(reader, literal)
    test: Callable[[float], bool] = {
        "=": bound.__eq__,
        "<": bound.__gt__,
        "<=": bound.__ge__,
        ">": bound.__lt__,
        ">=": bound.__le__,
    }[operator]
    return Matcher("numeric", ("numeric", operator, bound), on_number=test, numeric=True)


def _number_operand(reader: Reader, literal: str) -> float:
    value = comparable(literal)
    if value is None:
        reader.fail(f"Cannot compare number : {literal}")
    return value


def _anything_but(reader: Reader) -> Matcher:
    """``{"anything-but": ...}``: a value or list, or a prefix/suffix/ignore-case/wildcard form."""
    token = reader.next()
    form = ""
    if token is Token.START_OBJECT:
        if reader.next() is not Token.FIELD_NAME:
            reader.fail("Anything-But expression name not found")
        form = reader.name
        if form not in _ANYTHING_BUT_FORMS:
            reader.fail(f"Unsupported anything-but pattern: {form}")
        token = reader.next()
    if token not in {Token.START_ARRAY, Token.STRING, Token.NUMBER}:
        reader.fail("Value of anything-but must be an array or single string/number value.")
    if form:
        values = _anything_but_strings(reader, token, form)
        matcher = _ANYTHING_BUT_FORMS[form](values)
    else:
        matcher = _anything_but_values(reader, token)
    _expect_end(reader, _TOO_MANY)
    if form:
        _expect_end(reader, _TOO_MANY)
    return matcher


def _anything_but_values(reader: Reader, token: Token | None) -> Matcher:
    strings: list[str] = []
    numbers: list[float] = []
    if token is Token.START_ARRAY:
        while (item := reader.next()) is not Token.END_ARRAY:
            if item is not Token.STRING and item is not Token.NUMBER:
                reader.fail("Inside anything but list, start|null|boolean is not supported.")
            _collect(reader, item, strings, numbers)
        if bool(strings) == bool(numbers):
            reader.fail(
                "Inside anything but list, either all values are number or string, "
                "mixed type is not supported"
            )
    else:
        _collect(reader, token, strings, numbers)
    if numbers:
        excluded = frozenset(numbers)
        return Matcher(
            "anything-but",
            ("anything-but", "numbers", excluded),
            _always,
            _always,
            lambda value: value not in excluded,
            _always,
            numeric=True,
        )
    names = frozenset(strings)
    return Matcher(
        "anything-but",
        ("anything-but", "strings", names),
        lambda value: value not in names,
        _always,
        _always,
        _always,
    )


def _collect(reader: Reader, token: Token | None, strings: list[str], numbers: list[float]) -> None:
    if token is Token.STRING:
        strings.append(reader.text)
    else:
        numbers.append(_number_operand(reader, reader.text))


_SET_ERRORS = {
    "equals-ignore-case": "Inside anything-but/equals-ignore-case list, number|start|null|boolean "
    "is not supported.",
    "wildcard": "wildcard match pattern must be a string",
    "prefix": "prefix/suffix match pattern must be a string",
    "suffix": "prefix/suffix match pattern must be a string",
}


def _anything_but_strings(reader: Reader, token: Token | None, form: str) -> list[str]:
    values: list[str] = []
    single = token is not Token.START_ARRAY
    while True:
        item = token if single else reader.next()
        if item is Token.END_ARRAY:
            break
        if item is not Token.STRING:
            reader.fail(_SET_ERRORS[form])
        if form in {"prefix", "suffix"} and not reader.text:
            reader.fail("Null prefix/suffix not allowed")
        values.append(reader.text)
        if single:
            break
    if form == "wildcard":
        for value in values:
            _parse_wildcard(reader, value)
    return values


def _none_of(kind: str, values: list[str], test: Callable[[str], Callable[[str], bool]]) -> Matcher:
    tests = tuple(test(value) for value in dict.fromkeys(values))
    return Matcher(
        kind,
        (kind, frozenset(values)),
        lambda value: not any(check(value) for check in tests),
        _always,
        _always,
        _always,
    )


def _but_prefix(values: list[str]) -> Matcher:
    prefixes = tuple(values)
    return Matcher(
        "anything-but-prefix",
        ("anything-but-prefix", frozenset(prefixes)),
        lambda value: not value.startswith(prefixes),
        _always,
        _always,
        _always,
    )


def _but_suffix(values: list[str]) -> Matcher:
    suffixes = tuple(values)
    return Matcher(
        "anything-but-suffix",
        ("anything-but-suffix", frozenset(suffixes)),
        lambda value: not value.endswith(suffixes),
        _always,
        _always,
        _always,
    )


def _but_ignore_case(values: list[str]) -> Matcher:
    return _none_of("anything-but-ic", values, lambda text: ignore_case(text, mode="equals"))


def _but_wildcard(values: list[str]) -> Matcher:
    pieces = [parse_wildcard(value) for value in dict.fromkeys(values)]
    base = _none_of(
        "anything-but-wildcard", values, lambda text: wildcard_test(parse_wildcard(text))
    )
    return Matcher(
        base.kind,
        base.key,
        base.on_str,
        _always,
        _always,
        _always,
        wildcards=tuple(tuple(wildcard_bytes(piece)) for piece in pieces),
    )


_ANYTHING_BUT_FORMS: dict[str, Callable[[list[str]], Matcher]] = {
    "equals-ignore-case": _but_ignore_case,
    "prefix": _but_prefix,
    "suffix": _but_suffix,
    "wildcard": _but_wildcard,
}

OPERATORS: dict[str, Callable[[Reader], Matcher]] = {
    "anything-but": _anything_but,
    "cidr": _cidr,
    "equals-ignore-case": _equals_ignore_case,
    "exactly": _exactly,
    "exists": _exists,
    "numeric": _numeric,
    "prefix": _prefix,
    "suffix": _suffix,
    "wildcard": _wildcard,
}
"""Every operator a match expression may name, mapped to the function that compiles it."""

"""How event-ruler reads values: numbers, IP addresses, case-insensitive text and wildcards."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Self

Address = tuple[int, int]
"""An IP address as (bytes, value): (4, n) for IPv4, (16, n) for IPv6."""

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")
_MAPPED_PREFIX = 0xFFFF << 32


class NumberLiteral(float):
    """An event number whose literal a double cannot hold (``1e400``, ``0.30000000000000001``).

    It compares as the nearest double, like Java's parser, and keeps its text for the exact
    matches that compare literals.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Self:
        number = super().__new__(cls, text)
        number.text = text
        return number


def comparable(literal: str) -> float | None:
    """The double of a pattern number, or None if the literal does not survive the round trip.

    event-ruler compares numbers as doubles only when ``BigDecimal.valueOf(double)`` equals the
    literal, so ``0.30000000000000001`` and ``9007199254740993`` are not comparable.
    """
    try:
        value = float(literal)
        exact = Decimal(literal)
    except (ValueError, InvalidOperation):
        return None
    if not math.isfinite(value) or Decimal(repr(value)) != exact:
        return None
    return value


def event_double(value: object) -> float | None:
    """The double an event number converts to (nearest, as Java's parser), None if not finite."""
    kind = type(value)
    if kind is float or kind is NumberLiteral:
        return float(value) if math.isfinite(value) else None  # type: ignore[arg-type]
    if kind is int:
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:
            return None
    if kind is Decimal:
        try:
            number = float(value)  # type: ignore[arg-type]
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def is_number(value: object) -> bool:
    """Whether an event value is a JSON number (bool is not)."""
    kind = type(value)
    return kind is int or kind is float or kind is Decimal or kind is NumberLiteral


def number_text(value: object) -> str:
    """The literal text of an event number."""
    if isinstance(value, NumberLiteral):
        return value.text
    try:
        return repr(value) if type(value) is float else str(value)
    except ValueError:  # an int too long for str(); no pattern literal can be that long
        return ""


def parse_ip(text: str) -> Address | None:
    """Parse an IP literal the way event-ruler does (``CIDR.ipToBytes``), None if it is not one.

    The regex gate and ``InetAddress`` rules are Java's: IPv4 parts are decimal even with leading
    zeros, at most 15 characters; IPv4-mapped IPv6 addresses become IPv4.
    """
    if _IPV4.fullmatch(text):
        return _ipv4(text)
    if _IPV6.fullmatch(text):
        return _ipv6(text)
    return None


def looks_like_ip(text: str) -> bool:
    """Whether text passes event-ruler's IP regexes (a failed parse is then "Invalid")."""
    return bool(_IPV4.fullmatch(text) or _IPV6.fullmatch(text))


def _ipv4(text: str) -> Address | None:
    if len(text) > 15:
        return None
    value = 0
    for part in text.split("."):
        number = int(part)
        if number > 255:
            return None
        value = value << 8 | number
    return (4, value)


def _ipv6(text: str) -> Address | None:
    if len(text) < 2:
        return None
    groups: list[int] = []
    gap = -1
    i = 0
    if text[0] == ":":
        if text[1] != ":":
            return None
        i = 1
    value, digits = 0, False
    while i < len(text):
        char = text[i]
        i += 1
        if char != ":":
            value = value << 4 | int(char, 16)
            if value > 0xFFFF:
                return None
            digits = True
            continue
        if not digits:
            if gap != -1:
                return None
            gap = len(groups)
            continue
        if i == len(text) or len(groups) == 8:
            return None
        groups.append(value)
        value, digits = 0, False
    if digits:
        if len(groups) == 8:
            return None
        groups.append(value)
    if gap != -1:
        if len(groups) == 8:
            return None
        groups[gap:gap] = [0] * (8 - len(groups))
    if len(groups) != 8:
        return None
    number = 0
    for group in groups:
        number = number << 16 | group
    if number >> 32 == 0xFFFF:
        return (4, number & 0xFFFFFFFF)
    return (16, number)


def cidr_range(text: str) -> tuple[int, int, int]:
    """Parse ``ip/bits`` into (bytes, low, high), raising ValueError with event-ruler's message."""
    parts = text.split("/")
    while parts and not parts[-1]:
        parts.pop()  # Java's String.split drops trailing empty strings
    if len(parts) != 2:
        raise ValueError("Malformed CIDR, one '/' required")
    try:
        bits = _java_int(parts[1])
    except ValueError:
        raise ValueError("Malformed CIDR, mask bits must be an integer") from None
    if bits < 0:
        raise ValueError("Malformed CIDR, mask bits must not be negative")
    address = parse_ip(parts[0])
    if address is None:
        kind = "Invalid" if looks_like_ip(parts[0]) else "Nonstandard"
        raise ValueError(f"{kind} IP address: {parts[0]}")
    size, value = address
    if bits > size * 8 - 1:
        raise ValueError(f"IPv{4 if size == 4 else 6} mask bits must be < {size * 8}")
    host = (1 << (size * 8 - bits)) - 1
    return size, value & ~host, value | host


def _java_int(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(text)
    number = int(text)
    if not -(2**31) <= number < 2**31:
        raise ValueError(text)
    return number


def ignore_case(pattern: str, *, mode: str) -> Callable[[str], bool]:
    """A test for ``equals-ignore-case`` (mode ``equals``, ``prefix`` or ``suffix``).

    event-ruler accepts, at each position, the lower- or upper-case form of the *pattern's*
    character (Java ``toLowerCase``/``toUpperCase``, one UTF-16 unit at a time), and never
    case-maps the event: ``straße`` matches ``STRASSE`` but not ``strasse``.
    https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/input/EqualsIgnoreCaseParser.java
    """
    if pattern.isascii():
        folded, size = pattern.lower(), len(pattern)
        if not size and mode != "equals":
            return lambda _value: True
        if mode == "equals":
            return lambda value: len(value) == size and value.isascii() and value.lower() == folded
        if mode == "prefix":
            return lambda value: value[:size].isascii() and value[:size].lower() == folded
        return lambda value: value[-size:].isascii() and value[-size:].lower() == folded
    alternatives = []
    for char in pattern:
        forms = {char} if ord(char) > 0xFFFF else {char.lower(), char.upper()}
        alternatives.append("(?:" + "|".join(re.escape(form) for form in sorted(forms)) + ")")
    body = "".join(alternatives)
    if mode == "equals":
        return re.compile(body, re.DOTALL).fullmatch  # type: ignore[return-value]
    if mode == "prefix":
        return re.compile(body, re.DOTALL).match  # type: ignore[return-value]
    return re.compile(f"(?:{body})\\Z", re.DOTALL).search  # type: ignore[return-value]


WILDCARD = None
"""Marks the wildcard position in a parsed wildcard pattern (the other items are literal text)."""


def parse_wildcard(text: str) -> list[str | None]:
    """Split a wildcard pattern into literal runs and WILDCARD marks, with event-ruler's errors.

    Positions in messages are byte offsets in the quoted UTF-8 value, as in ``WildcardParser``.
    """
    data = ('"' + text + '"').encode(errors="surrogatepass")
    pieces: list[str | None] = []
    literal = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x2A:
            if i + 1 < len(data) and data[i + 1] == 0x2A:
                raise ValueError(f"Consecutive wildcard characters at pos {i}")
            pieces.append(literal.decode(errors="surrogatepass"))
            pieces.append(WILDCARD)
            literal = bytearray()
        elif byte == 0x5C:
            if i + 1 < len(data) and data[i + 1] in (0x2A, 0x5C):
                literal.append(data[i + 1])
                i += 2
                continue
            raise ValueError(f"Invalid escape character at pos {i}")
        else:
            literal.append(byte)
        i += 1
    pieces.append(literal.decode(errors="surrogatepass"))
    first = pieces[0]
    assert isinstance(first, str)
    pieces[0] = first[1:]  # drop the quotes event-ruler wraps the value in
    last = pieces[-1]
    assert isinstance(last, str)
    pieces[-1] = last[:-1]
    return pieces


def wildcard_test(pieces: list[str | None]) -> Callable[[str], bool]:
    """A matcher for parsed wildcard pieces: anchored, each ``*`` any run (also empty)."""
    literals = [piece for piece in pieces if piece is not WILDCARD]
    if len(literals) == 1:
        only = literals[0]
        return lambda value: value == only
    head, middle, tail = literals[0], literals[1:-1], literals[-1]
    least = sum(len(piece) for piece in literals)

    def test(value: str) -> bool:
        if len(value) < least or not value.startswith(head) or not value.endswith(tail):
            return False
        position, end = len(head), len(value) - len(tail)
        for piece in middle:
            found = value.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return test


def wildcard_bytes(pieces: list[str | None]) -> list[int | None]:
    """The quoted pattern as event-ruler's byte machine sees it: bytes, with None for ``*``."""
    items: list[int | None] = [0x22]
    for piece in pieces:
        if piece is WILDCARD:
            items.append(None)
        else:
            items.extend(piece.encode(errors="surrogatepass"))
    items.append(0x22)
    return items

"""Token readers for event patterns: raw JSON text (Jackson's errors) or an already parsed object.

EventBridge compiles a pattern while it streams the JSON (event-ruler's ``JsonRuleCompiler`` on a
Jackson ``JsonParser``), so *which* error a broken pattern gets depends on what is read first: a
semantic error early in the text wins over a syntax error later on. The compiler therefore pulls
tokens one at a time from a reader, and the text reader reproduces Jackson's lazy behaviour and
messages (https://github.com/FasterXML/jackson-core, ``ReaderBasedJsonParser``).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import NoReturn

from trailguard.errors import InvalidEventPattern

MAX_DEPTH = 1000
_SNIPPET = 500
_VALUE_LIST = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PLAIN_RUN = re.compile(r'[^"\\\x00-\x1f]*')
_WHITESPACE = " \t\n\r"


class Token(enum.Enum):
    """One JSON token, as Jackson's ``JsonToken`` names them."""

    START_OBJECT = "{"
    END_OBJECT = "}"
    START_ARRAY = "["
    END_ARRAY = "]"
    FIELD_NAME = "name"
    STRING = "string"
    NUMBER = "number"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"
    OTHER = "other"


class Reader:
    """A pull parser: ``next()`` returns the next token, ``text`` and ``name`` describe it."""

    name: str = ""

    def next(self) -> Token | None:
        """Advance to the next token; None at the end of the input."""
        raise NotImplementedError

    @property
    def text(self) -> str:
        """The current token's text: a string's value, a number's literal, ``]`` and so on."""
        raise NotImplementedError

    @staticmethod
    def fail(reason: str) -> NoReturn:
        """Reject the pattern with AWS's reason text."""
        raise InvalidEventPattern(reason)


def reader_for(pattern: object) -> Reader:
    """A reader over raw JSON text or over an object that is already parsed."""
    if isinstance(pattern, str):
        return TextReader(pattern)
    return ObjectReader(pattern)


class ObjectReader(Reader):
    """Tokens of a parsed JSON value (dicts, lists, str, int, float, bool, None)."""

    def __init__(self, value: object) -> None:
        self._tokens = _walk(value, 0)
        self._text = ""

    def next(self) -> Token | None:
        """Advance to the next token; None at the end of the value."""
        token, text = next(self._tokens, (None, ""))
        if token is Token.FIELD_NAME:
            self.name = text
        self._text = text
        return token

    @property
    def text(self) -> str:
        """The current token's text."""
        return self._text


def _walk(value: object, depth: int) -> Iterator[tuple[Token, str]]:
    if depth > MAX_DEPTH:
        Reader.fail(_depth_message(depth))
    if isinstance(value, Mapping):
        yield Token.START_OBJECT, "{"
        for key, item in value.items():
            if not isinstance(key, str):
                Reader.fail(f"Field names must be strings, not {key!r}")
            yield Token.FIELD_NAME, key
            yield from _walk(item, depth + 1)
        yield Token.END_OBJECT, "}"
    elif isinstance(value, list | tuple):
        yield Token.START_ARRAY, "["
        for item in value:
            yield from _walk(item, depth + 1)
        yield Token.END_ARRAY, "]"
    elif isinstance(value, str):
        yield Token.STRING, value
    elif value is True:
        yield Token.TRUE, "true"
    elif value is False:
        yield Token.FALSE, "false"
    elif value is None:
        yield Token.NULL, "null"
    elif isinstance(value, int | float | Decimal):
        yield Token.NUMBER, repr(value) if isinstance(value, float) else str(value)
    else:
        yield Token.OTHER, repr(value)


def _depth_message(depth: int) -> str:
    return (
        f"Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DEPTH}, "
        "from `StreamReadConstraints.getMaxNestingDepth()`)"
    )


class _Context:
    __slots__ = ("count", "kind", "start")

    def __init__(self, kind: str, start: int) -> None:
        self.kind = kind
        self.start = start
        self.count = 0


class TextReader(Reader):
    """Jackson-compatible tokens of raw JSON text, failing with Jackson's messages."""

    def __init__(self, source: str) -> None:
        self._s = source
        self._i = 0
        self._stack: list[_Context] = []
        self._token: Token | None = None
        self._text = ""
        self._lazy: int | None = None
        self._pending: tuple[Token, str, int | None, int] | None = None

    @property
    def text(self) -> str:
        """The current token's text (a string is decoded on first use, as Jackson does)."""
        if self._lazy is not None:
            self._text, self._i = self._string(self._lazy, "string value")
            self._lazy = None
        return self._text

    def next(self) -> Token | None:
        """Advance to the next token, raising Jackson's error for broken JSON."""
        if self._pending is not None:
            token, self._text, self._lazy, start = self._pending
            self._pending = None
            self._open(token, start)
            self._token = token
            return token
        if self._lazy is not None:
            _, self._i = self._string(self._lazy, "string value")
            self._lazy = None
        char = self._skip_space()
        if char == "":
            if self._stack:
                kind = "Object" if self._stack[-1].kind == "{" else "Array"
                where = self._location(self._stack[-1].start)
                self._eof(f": expected close marker for {kind} (start marker at {where})")
            self._token = None
            return None
        if char in "]}":
            return self._close(char)
        context = self._stack[-1] if self._stack else None
        if context is not None and context.count:
            char = self._comma(char, context)
        if context is not None and context.kind == "{":
            return self._field(char, context)
        if context is not None:
            context.count += 1
        token, self._text, self._lazy = self._value(char)
        self._open(token, self._i - 1)
        self._token = token
        return token

    def _open(self, token: Token, start: int) -> None:
        if token is Token.START_OBJECT or token is Token.START_ARRAY:
            if len(self._stack) >= MAX_DEPTH:
                self.fail(_depth_message(len(self._stack) + 1))
            self._stack.append(_Context(token.value, start))

    def _close(self, char: str) -> Token:
        self._i += 1
        context = self._stack[-1] if self._stack else None
        wanted = "}" if char == "]" else "]"
        if context is None or context.kind != ("{" if char == "}" else "["):
            kind = "root" if context is None else ("Object" if context.kind == "{" else "Array")
            where = self._location(context.start) if context else self._location(0, column=0)
            self.fail(
                f"Unexpected close marker '{char}': expected '{wanted}' "
                f"(for {kind} starting at {where})"
            )
        self._stack.pop()
        self._token = Token.END_OBJECT if char == "}" else Token.END_ARRAY
        self._text = char
        return self._token

    def _comma(self, char: str, context: _Context) -> str:
        kind = "Object" if context.kind == "{" else "Array"
        if char != ",":
            self._unexpected(char, f"was expecting comma to separate {kind} entries")
        self._i += 1
        char = self._skip_space()
        if char == "":
            self._eof(f" within/between {kind} entries")
        return char

    def _field(self, char: str, context: _Context) -> Token:
        if char != '"':
            self._unexpected(char, "was expecting double-quote to start field name")
        self.name, self._i = self._string(self._i + 1, "name")
        context.count += 1
        char = self._skip_space()
        if char != ":":
            if char == "":
                self._eof(" within/between Object entries")
            self._unexpected(char, "was expecting a colon to separate field name and value")
        self._i += 1
        char = self._skip_space()
        if char == "":
            self._eof(" within/between Object entries")
        start = self._i
        token, text, lazy = self._value(char)
        self._pending = (token, text, lazy, start)
        self._token = Token.FIELD_NAME
        self._text = self.name
        self._lazy = None
        return Token.FIELD_NAME

    def _value(self, char: str) -> tuple[Token, str, int | None]:
        self._i += 1
        if char == '"':
            return Token.STRING, "", self._i
        if char == "{":
            return Token.START_OBJECT, "{", None
        if char == "[":
            return Token.START_ARRAY, "[", None
        if char == "t":
            self._keyword("true")
            return Token.TRUE, "true", None
        if char == "f":
            self._keyword("false")
            return Token.FALSE, "false", None
        if char == "n":
            self._keyword("null")
            return Token.NULL, "null", None
        if char == "-" or "0" <= char <= "9":
            return Token.NUMBER, self._number(self._i - 1), None
        self._i -= 1
        return self._odd_value(char)

    def _odd_value(self, char: str) -> NoReturn:
        if char in "NI":
            word = "NaN" if char == "N" else "Infinity"
            self._i += 1
            self._keyword(word)
            self.fail(
                f"Non-standard token '{word}': enable "
                "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
            )
        if char == "+":
            self._number_char(
                "+",
                "JSON spec does not allow numbers to have plus signs: enable "
                "`JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow",
            )
        if _java_identifier_start(char):
            self._i += 1
            self._invalid_token(char)
        self._unexpected(char, f"expected a valid value {_VALUE_LIST}")

    def _keyword(self, word: str) -> None:
        s, i = self._s, self._i
        for position in range(1, len(word)):
            if i >= len(s) or s[i] != word[position]:
                self._i = i
                self._invalid_token(word[:position])
            i += 1
        self._i = i
        if i < len(s) and s[i] >= "0" and s[i] not in "]}" and _java_identifier_part(s[i]):
            self._invalid_token(word)

    def _invalid_token(self, matched: str) -> NoReturn:
        s, i = self._s, self._i
        token = [matched]
        length = len(matched)
        while i < len(s) and _java_identifier_part(s[i]):
            token.append(s[i])
            length += 1
            i += 1
            if length >= 256:
                token.append("...")
                break
        self.fail(f"Unrecognized token '{''.join(token)}': was expecting {_VALUE_LIST}")

    def _number(self, start: int) -> str:
        s, i = self._s, start
        end = len(s)
        if s[i] == "-":
            i += 1
            if i >= end:
                self._eof(" in a Number value")
            if not "0" <= s[i] <= "9":
                self._i = i
                self._number_char(
                    s[i], "expected digit (0-9) to follow minus sign, for valid numeric value"
                )
        if s[i] == "0" and i + 1 < end and "0" <= s[i + 1] <= "9":
            self.fail("Invalid numeric value: Leading zeroes not allowed")
        while i < end and "0" <= s[i] <= "9":
            i += 1
        if i < end and s[i] == ".":
            i = self._digits(i + 1, "Decimal point not followed by a digit")
        if i < end and s[i] in "eE":
            i += 1
            if i < end and s[i] in "+-":
                i += 1
            i = self._digits(i, "Exponent indicator not followed by a digit")
        self._i = i
        return s[start:i]

    def _digits(self, i: int, problem: str) -> int:
        s = self._s
        first = i
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        if i == first:
            if i >= len(s):
                self._eof(" in a Number value")
            self._number_char(s[i], problem)
        return i

    def _string(self, i: int, what: str) -> tuple[str, int]:
        s = self._s
        parts: list[str] = []
        while True:
            run = _PLAIN_RUN.match(s, i)
            assert run is not None
            parts.append(run.group())
            i = run.end()
            if i >= len(s):
                if what == "name":
                    self._eof(": was expecting closing '\"' for name")
                self._eof(": was expecting closing quote for a string value")
            char = s[i]
            if char == '"':
                return "".join(parts), i + 1
            if char != "\\":
                self.fail(
                    f"Illegal unquoted character ({_describe(char)}): has to be escaped using "
                    f"backslash to be included in {what}"
                )
            char, i = self._escape(i + 1)
            parts.append(char)

    def _escape(self, i: int) -> tuple[str, int]:
        s = self._s
        if i >= len(s):
            self._eof(" in character escape sequence")
        char = s[i]
        if char in _ESCAPES:
            return _ESCAPES[char], i + 1
        if char != "u":
            self.fail(f"Unrecognized character escape {_describe(char)}")
        code = 0
        for position in range(i + 1, i + 5):
            if position >= len(s):
                self._eof(" in character escape sequence")
            digit = s[position]
            if digit not in "0123456789abcdefABCDEF":
                self._i = position
                self._unexpected(digit, "expected a hex-digit for character escape sequence")
            code = code * 16 + int(digit, 16)
        return chr(code), i + 5

    def _skip_space(self) -> str:
        s, i = self._s, self._i
        while i < len(s):
            char = s[i]
            if char in _WHITESPACE:
                i += 1
                continue
            self._i = i
            if char == "/":
                self._unexpected(
                    char,
                    "maybe a (non-standard) comment? (not recognized as one since Feature "
                    "'ALLOW_COMMENTS' not enabled for parser)",
                )
            if char < " ":
                self.fail(
                    f"Illegal character ({_describe(char)}): only regular white space "
                    "(\\r, \\n, \\t) is allowed between tokens"
                )
            return char
        self._i = i
        return ""

    def _unexpected(self, char: str, comment: str) -> NoReturn:
        self.fail(f"Unexpected character ({_describe(char)}): {comment}")

    def _number_char(self, char: str, comment: str) -> NoReturn:
        self.fail(f"Unexpected character ({_describe(char)}) in numeric value: {comment}")

    def _eof(self, detail: str) -> NoReturn:
        self.fail(f"Unexpected end-of-input{detail}")

    def _location(self, offset: int, *, column: int | None = None) -> str:
        line = self._s.count("\n", 0, offset) + 1
        line_start = self._s.rfind("\n", 0, offset) + 1
        if column is None:
            column = offset - line_start + 1
        text = self._s
        if len(text) > _SNIPPET:
            text = f'{text[:_SNIPPET]}"[truncated {len(self._s) - _SNIPPET} chars]'
        else:
            text = f'{text}"'
        return f'[Source: (String)"{text}; line: {line}, column: {column}]'


def _describe(char: str) -> str:
    """Jackson's ``_getCharDesc``: how an offending character is shown in a message."""
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{char}' (code {code} / 0x{code:x})"
    return f"'{char}' (code {code})"


def _java_identifier_start(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "L" or category in {"Nl", "Sc", "Pc"}


def _java_identifier_part(char: str) -> bool:
    code = ord(char)
    if code <= 8 or 0x0E <= code <= 0x1B or 0x7F <= code <= 0x9F:
        return True
    category = unicodedata.category(char)
    return category[0] == "L" or category in {"Nl", "Nd", "Sc", "Pc", "Mn", "Mc", "Cf"}

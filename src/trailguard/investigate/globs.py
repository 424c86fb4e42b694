"""Values given on the command line, matched exactly or with ``*`` and ``?`` wildcards."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

WILDCARDS = re.compile(r"[*?]")
# Characters JSON may write as a two-character escape (\" \\ \/ \b \f \n \r \t): a literal holding
# one may be spelled differently in the raw text. https://www.rfc-editor.org/rfc/rfc8259#section-7
_ALWAYS_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def is_glob(value: str) -> bool:
    """Whether ``value`` has a wildcard."""
    return WILDCARDS.search(value) is not None


def glob_regex(value: str) -> re.Pattern[str]:
    """The regular expression of one glob (``*`` any run of characters, ``?`` one character)."""
    parts = [
        ".*" if part == "*" else "." if part == "?" else re.escape(part) for part in _split(value)
    ]
    return re.compile("".join(parts), re.DOTALL)


def _split(value: str) -> list[str]:
    return [part for part in re.split(r"([*?])", value) if part]


@dataclass(frozen=True)
class Globs:
    """Any of several values; each is exact or a glob."""

    values: tuple[str, ...]
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, values: Iterable[str]) -> Globs:
        """Compile the values once."""
        given = tuple(values)
        return cls(
            values=given,
            exact=frozenset(value for value in given if not is_glob(value)),
            patterns=tuple(glob_regex(value) for value in given if is_glob(value)),
        )

    def __bool__(self) -> bool:
        return bool(self.values)

    @property
    def all_exact(self) -> bool:
        """Whether no value has a wildcard."""
        return not self.patterns

    def matches(self, value: str) -> bool:
        """Whether ``value`` is one of the exact values or fits one of the globs."""
        if value in self.exact:
            return True
        return any(pattern.fullmatch(value) for pattern in self.patterns)

    def literals(self, *, whole_string: bool, string_end: bool) -> tuple[bytes, ...] | None:
        """Byte strings of which every matching value's JSON text contains at least one.

        ``whole_string``: the value is a whole JSON string, so a literal may include the quotes
        around it; ``string_end``: the value ends a JSON string (a session name at the end of an
        ARN), so only the closing quote may be included. None when some value gives no usable
        literal (``*`` alone, or characters JSON may escape).
        """
        found: list[bytes] = []
        for value in self.values:
            literal = _literal(value, whole_string=whole_string, string_end=string_end)
            if literal is None:
                return None
            found.append(literal)
        return tuple(dict.fromkeys(found))


def _literal(value: str, *, whole_string: bool, string_end: bool) -> bytes | None:
    parts = _split(value)
    fixed = [(index, part) for index, part in enumerate(parts) if part not in ("*", "?")]
    if not fixed or _ALWAYS_ESCAPED.search(value):
        return None
    index, longest = max(fixed, key=lambda item: len(item[1]))
    text = longest
    if whole_string and index == 0:
        text = '"' + text
    if (whole_string or string_end) and index == len(parts) - 1:
        text += '"'
    return text.encode()

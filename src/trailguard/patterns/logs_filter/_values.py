"""The right-hand sides of JSON and space-delimited conditions: numbers, text globs, regex."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

# A numeric literal as the docs show them: 1, -1, +1000, 55.5, 1e-3, 10e3, 1e+0.
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# The text of a JSON number (RFC 8259), which is all a number leaf's text can look like.
JSON_NUMBER_CHARS = frozenset("0123456789+-.eE")
RELATIONAL_TESTS: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def as_number(text: str) -> float | None:
    """The value of numeric text (``"11.5"``, ``"1534"``), or None for anything else."""
    if NUMBER.fullmatch(text) is None:
        return None
    return float(text)


class GlobKind(Enum):
    """Where a text value's ``*`` wildcards sit."""

    EXACT = "exact"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    CONTAINS = "contains"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Glob:
    """A text value: only a leading and a trailing ``*`` are wildcards; others are literal.

    The 2020 user guide says ``"Ev*ent"`` "will only match the actual string Ev*ent"; the corpus
    row ``doc2020-json-star-mid`` records that.
    """

    kind: GlobKind
    core: str

    @classmethod
    def parse(cls, text: str, *, leading: bool = True, trailing: bool = True) -> Glob:
        """The glob for ``text``; ``leading``/``trailing`` say whether edge stars are wildcards."""
        core = text.lstrip("*") if leading else text
        starts = len(core) != len(text)
        if not core:
            return cls(GlobKind.ANY if starts else GlobKind.EXACT, "")
        stripped = core.rstrip("*") if trailing else core
        ends = len(stripped) != len(core)
        if not stripped:
            return cls(GlobKind.ANY, "")
        if starts and ends:
            return cls(GlobKind.CONTAINS, stripped)
        if starts:
            return cls(GlobKind.SUFFIX, stripped)
        if ends:
            return cls(GlobKind.PREFIX, stripped)
        return cls(GlobKind.EXACT, stripped)

    def matches(self, text: str) -> bool:
        """Whether ``text`` fits the glob."""
        kind = self.kind
        if kind is GlobKind.EXACT:
            return text == self.core
        if kind is GlobKind.PREFIX:
            return text.startswith(self.core)
        if kind is GlobKind.SUFFIX:
            return text.endswith(self.core)
        if kind is GlobKind.CONTAINS:
            return self.core in text
        return True

    @property
    def can_match_number(self) -> bool:
        """Whether some JSON number's text could fit, so number leaves need a look."""
        return self.kind is GlobKind.ANY or set(self.core) <= JSON_NUMBER_CHARS


@dataclass(frozen=True, slots=True)
class NumberValue:
    """An unquoted numeric literal: compared as a number, or by its text against strings."""

    raw: str
    number: float


@dataclass(frozen=True, slots=True)
class TextValue:
    """A quoted string or bare word, with its ``*`` wildcards."""

    glob: Glob
    source: str


@dataclass(frozen=True, slots=True)
class RegexValue:
    """A ``%regex%`` value: an unanchored search."""

    pattern: re.Pattern[str]
    source: str


Value = NumberValue | TextValue | RegexValue

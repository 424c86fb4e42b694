"""JSON selectors: ``$.a.b``, ``$.['key.with.dots']``, ``$.list[0]``, ``$.list[*]``, ``$.*``.

Resolution never flattens: ``.name`` steps into an object only, ``[i]`` into an array only,
``[*]`` takes every element of an array or every value of an object, and ``.*`` every value of
an object (never array elements). A selector resolves to zero or more leaves.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from trailguard.patterns.logs_filter._messages import WILDCARDS_PER_SELECTOR, bad_term, invalid

# "Property names are alphanumeric strings that support - and _" (the docs above).
NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
ENDS = frozenset(" \t\r\n()=!<>&|,")


class Wildcard(Enum):
    """A wildcard step."""

    ELEMENTS = "[*]"
    FIELDS = ".*"


Step = str | int | Wildcard


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed selector: its text and its steps (key, index or wildcard)."""

    text: str
    steps: tuple[Step, ...]

    @property
    def has_wildcard(self) -> bool:
        """Whether a step can resolve to more than one leaf."""
        return any(isinstance(step, Wildcard) for step in self.steps)


def scan(text: str, start: int) -> int:
    """The index just past the selector that starts with the ``$`` at ``text[start]``."""
    return _read(text, start)[0]


@lru_cache(maxsize=1024)
def parse(text: str) -> Selector:
    """The selector written as ``text`` (all of it)."""
    end, steps = _read(text, 0)
    if end != len(text) or not steps:
        raise invalid()
    if sum(isinstance(step, Wildcard) for step in steps) > 1:
        raise invalid(WILDCARDS_PER_SELECTOR)
    return Selector(text, tuple(steps))


def _read(text: str, start: int) -> tuple[int, list[Step]]:
    """Lex a selector; a bad character is reported with the step it breaks (``$..``, ``[-``)."""
    if not text.startswith("$", start):
        raise invalid()
    steps: list[Step] = []
    segment = start
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == ".":
            position += 1
            following = text[position] if position < len(text) else ""
            if following == "*":
                steps.append(Wildcard.FIELDS)
                position += 1
            elif following == "[":
                position = _read_bracket(text, position, segment, steps)
            elif following and following in NAME_CHARS:
                name_start = position
                while position < len(text) and text[position] in NAME_CHARS:
                    position += 1
                steps.append(text[name_start:position])
            else:
                raise bad_term(text[segment : position + 1])
        elif char == "[":
            position = _read_bracket(text, position, position, steps)
        elif char in ENDS:
            break
        else:
            raise bad_term(text[segment : position + 1])
        segment = position
    return position, steps


def _read_bracket(text: str, position: int, segment: int, steps: list[Step]) -> int:
    """Read ``[n]``, ``[*]`` or ``['key']`` at ``text[position]``; the index just past it."""
    inner = position + 1
    if text.startswith("*]", inner):
        steps.append(Wildcard.ELEMENTS)
        return inner + 2
    if text.startswith("'", inner):
        close = text.find("'", inner + 1)
        if close < 0 or not text.startswith("]", close + 1):
            raise bad_term(text[segment:])
        steps.append(text[inner + 1 : close])
        return close + 2
    digits = inner
    while digits < len(text) and text[digits].isascii() and text[digits].isdigit():
        digits += 1
    if digits == inner or not text.startswith("]", digits):
        raise bad_term(text[segment : digits + 1])
    steps.append(int(text[inner:digits]))
    return digits + 1


def resolve(document: object, steps: tuple[Step, ...]) -> list[object]:
    """Every leaf the steps reach in ``document``."""
    current = [document]
    for step in steps:
        reached: list[object] = []
        for node in current:
            if isinstance(step, str):
                if isinstance(node, dict) and step in node:
                    reached.append(node[step])
            elif isinstance(step, int):
                if isinstance(node, list) and step < len(node):
                    reached.append(node[step])
            elif isinstance(node, dict):
                reached.extend(node.values())
            elif step is Wildcard.ELEMENTS and isinstance(node, list):
                reached.extend(node)
        current = reached
    return current

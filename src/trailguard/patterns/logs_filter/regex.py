r"""``%regex%``: AWS's regex subset, checked character by character and compiled once.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#regex-expressions
allows letters, digits, the symbols ``: _ # = @ / ; , -``, the operators
``^ $ ? [ ] { } | \ * + .`` and (in its own example) a space. ``(`` and ``)`` are not supported,
so there are no groups; ``\xhh`` reaches any other character.
"""

from __future__ import annotations

import re
import string

from trailguard.patterns.logs_filter._messages import REGEX_COMPILE, bad_term, invalid

ALLOWED = frozenset(string.ascii_letters + string.digits + ":_#=@/;,-" + "^$?[]{}|\\*+." + " ")


def scan_regex(text: str, start: int) -> int:
    """The index just past the ``%`` closing the regex that opens at ``text[start]``.

    Raises the lexer error AWS gives: the regex so far, up to and including the first character
    it does not allow (``%^(``), or the whole unclosed regex.
    """
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "%":
            return position + 1
        if char not in ALLOWED:
            raise bad_term(text[start : position + 1])
        position += 1
    raise bad_term(text[start:])


def compile_regex(body: str) -> re.Pattern[str]:
    """The Python regex for an AWS regex body (the text between the ``%``)."""
    try:
        return re.compile(_translate(body), re.ASCII)
    except re.error:
        raise invalid(REGEX_COMPILE) from None


def _translate(body: str) -> str:
    """Escape what Python reads differently inside a character class (``[[``, ``||``, ``--``)."""
    out: list[str] = []
    in_class = False
    class_start = 0
    position = 0
    while position < len(body):
        char = body[position]
        if char == "\\":
            out.append(body[position : position + 2])
            position += 2
            continue
        if not in_class:
            if char == "[":
                in_class = True
                class_start = position + 1
                if body.startswith("^", class_start):
                    out.append("[^")
                    position += 2
                    class_start += 1
                    continue
            out.append(char)
        elif char == "]" and position != class_start:
            in_class = False
            out.append(char)
        elif char in "[|" or (char == "-" and out and out[-1] == "-"):
            out.append("\\" + char)
        else:
            out.append(char)
        position += 1
    return "".join(out)

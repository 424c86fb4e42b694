r"""Skip trail log files whose raw text cannot hold a match, before paying for JSON parsing.

A trail log file is one document, ``{"Records":[...]}``, and parsing it is most of the cost of
a search. When a query needs eventName ``ConsoleLogin``, a file whose bytes do not contain
``"ConsoleLogin"`` cannot hold a match, and a substring scan costs about a tenth of a parse.
JSON may spell any character as ``\\uXXXX`` and ``/`` as ``\\/``: a file with a ``\\u`` escape is
always parsed, and a literal holding ``/`` is trusted only in files without any backslash.
https://www.rfc-editor.org/rfc/rfc8259#section-7
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from trailguard.investigate.query import LiteralGroup

TRAIL_FILE_START = re.compile(rb'\s*\{\s*"Records"\s*:\s*\[')
PARSE_COST_IN_SCANS = 5.0
"""Parsing a trail file costs about this many substring scans of it (measured: ~5 ms, ~1 ms)."""
WARMUP_FILES = 24
MAX_LITERALS = 6


@dataclass
class _Group:
    """One literal group and how often it let a file be skipped."""

    literals: tuple[bytes, ...]
    needs_no_backslash: bool
    tested: int = 0
    rejected: int = 0

    def worth_testing(self) -> bool:
        """Whether scanning for the literals has saved more parsing than it cost so far."""
        if self.tested < WARMUP_FILES:
            return True
        return self.rejected / self.tested * PARSE_COST_IN_SCANS >= len(self.literals)


class RawPrefilter:
    """Decides from a file's decompressed bytes whether it may hold a matching record.

    It answers False only when some literal group has no literal in the text, which proves
    that no record can match. Groups that rarely reject are dropped after a warm-up, since
    their scans would cost more than the parses they save: that changes speed, never results.
    """

    def __init__(self, groups: Sequence[LiteralGroup]) -> None:
        usable = [group for group in groups if 0 < len(group.literals) <= MAX_LITERALS]
        usable.sort(key=lambda group: len(group.literals))
        self._groups = [
            _Group(group.literals, any(b"/" in literal for literal in group.literals))
            for group in usable
        ]

    def __bool__(self) -> bool:
        return bool(self._groups)

    def might_match(self, data: bytes) -> bool:
        """False only if no record in this trail file can match.

        Only a one-line ``{"Records":[...]}`` document, as CloudTrail writes it, is checked: in
        it every record field is a plain JSON value. Anything else (JSON Lines, LookupEvents
        output with records as JSON strings, CloudWatch Logs payloads) is always parsed.
        """
        groups = [group for group in self._groups if group.worth_testing()]
        if not groups or not TRAIL_FILE_START.match(data) or _lines_after_the_first(data):
            return True
        has_backslash = b"\\" in data
        if has_backslash and b"\\u" in data:
            return True
        for group in groups:
            if has_backslash and group.needs_no_backslash:
                continue
            group.tested += 1
            if not any(literal in data for literal in group.literals):
                group.rejected += 1
                return False
        return True


def _lines_after_the_first(data: bytes) -> bool:
    """Whether text follows a line break: JSON Lines may mix other shapes after a trail file."""
    end = len(data)
    while end and data[end - 1] in b" \t\r\n":
        end -= 1
    return data.find(b"\n", 0, end) >= 0

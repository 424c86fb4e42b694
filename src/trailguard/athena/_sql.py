"""Building Trino SQL text: literals, LIKE patterns, regexes and indented boolean expressions.

Athena engine v3 runs Trino's SQL; each function used is cited where it is emitted.
https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TRUE = "TRUE"
FALSE = "FALSE"
LIKE_ESCAPE = "\\"
_REGEX_SPECIAL = re.compile(r"[^0-9A-Za-z\x80-\U0010ffff]")


def string(text: str) -> str:
    """A SQL string literal (a quote is written twice)."""
    return "'" + text.replace("'", "''") + "'"


def strings(texts: Sequence[str]) -> str:
    """``('a', 'b')`` for ``IN``, sorted so that the output is stable."""
    return "(" + ", ".join(string(text) for text in sorted(set(texts))) + ")"


def double(value: float) -> str:
    """A DOUBLE literal (scientific notation is a double in Trino; ``1.5`` would be a DECIMAL)."""
    text = repr(float(value)).upper()
    return text if "E" in text else text + "E0"


def like_literal(text: str) -> str:
    r"""Text matched literally by LIKE: ``%``, ``_`` and the escape ``\`` are escaped."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def like(expression: str, pattern: str) -> str:
    r"""``expression LIKE pattern ESCAPE '\'`` (the pattern already escaped).

    https://trino.io/docs/current/functions/comparison.html#like
    """
    return f"{expression} LIKE {string(pattern)} ESCAPE {string(LIKE_ESCAPE)}"


def regex_char(char: str) -> str:
    """One character matched literally by a Java/Joni regex (Trino's regexp_* functions)."""
    return "\\" + char if _REGEX_SPECIAL.fullmatch(char) else char


def all_of(parts: Sequence[str]) -> str:
    """Conjunction of predicates; TRUE parts are dropped, a FALSE part wins."""
    kept = [part for part in dict.fromkeys(parts) if part != TRUE]
    if FALSE in kept:
        return FALSE
    if not kept:
        return TRUE
    return kept[0] if len(kept) == 1 else " AND ".join(kept)


def any_of(parts: Sequence[str]) -> str:
    """Disjunction of predicates; FALSE parts are dropped, a TRUE part wins."""
    kept = [part for part in dict.fromkeys(parts) if part != FALSE]
    if TRUE in kept:
        return TRUE
    if not kept:
        return FALSE
    if len(kept) == 1:
        return kept[0]
    # AND binds tighter than OR; the brackets are for the reader.
    return "(" + " OR ".join(f"({p})" if " AND " in p and p[0] != "(" else p for p in kept) + ")"


def where(conjuncts: Sequence[str], alternatives: Sequence[Sequence[str]] = ()) -> str:
    """A readable WHERE body: one conjunct per line, then the alternatives as an OR block."""
    lines = [part for part in dict.fromkeys(conjuncts) if part != TRUE]
    if alternatives:
        branches = [all_of(branch) for branch in alternatives]
        kept = [branch for branch in dict.fromkeys(branches) if branch != FALSE]
        if TRUE in kept or not kept:
            lines.append(TRUE if kept else FALSE)
        elif len(kept) == 1:
            lines.append(kept[0])
        else:
            inner = "\n    OR ".join(_parenthesised(branch) for branch in kept)
            lines.append("(\n    " + inner + "\n  )")
        lines = [line for line in lines if line != TRUE]
    if FALSE in lines:
        return FALSE
    return "\n  AND ".join(lines) if lines else TRUE


def _parenthesised(part: str) -> str:
    return f"({part})" if " AND " in part else part

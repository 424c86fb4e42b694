"""EventBridge event patterns as WHERE clauses on the CloudTrail table.

The pattern is compiled by trailguard's own compiler (so it is validated exactly as AWS does)
and its sub-rules (``$or`` already multiplied out) are translated field by field. A field is
translated only when SQL selects exactly the records the engine matches; otherwise the field and
the reason are named (``Untranslatable``). The envelope fields are those ``events.to_envelope``
derives from the record. Semantics: ../shared/specs/eventbridge_semantics.md, docs/athena-notes.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trailguard.athena import _sql, _values
from trailguard.athena.dialect import ATHENA, Dialect
from trailguard.athena.table import Column, Kind, column
from trailguard.athena.untranslatable import Problem, Untranslatable
from trailguard.events import DETAIL_TYPES
from trailguard.patterns._eventbridge_compiler import compile_rules
from trailguard.patterns._eventbridge_eval import acceptor, sort_key
from trailguard.patterns._eventbridge_operators import ABSENT, EXISTS, Matcher
from trailguard.patterns._eventbridge_values import parse_wildcard

_DETAIL_TYPE_CASES = " ".join(
    f"WHEN {_sql.string(key.lower())} THEN {_sql.string(value)}"
    for key, value in DETAIL_TYPES.items()
    if key != "AwsApiCall"
)
ENVELOPE: dict[str, str] = {
    # "aws." + the first label of eventSource; records without one come from CloudTrail.
    "source": "(CASE WHEN COALESCE(eventsource, '') = '' THEN 'aws.cloudtrail' "
    "ELSE 'aws.' || split_part(eventsource, '.', 1) END)",
    # By eventType, case-insensitively as events.detail_type; anything else is an API call.
    "detail-type": f"(CASE lower(eventtype) {_DETAIL_TYPE_CASES} "
    f"ELSE {_sql.string(DETAIL_TYPES['AwsApiCall'])} END)",
    "account": "COALESCE(NULLIF(recipientaccountid, ''), useridentity.accountid, '')",
    "region": "COALESCE(awsregion, '')",
    "time": "COALESCE(eventtime, '')",
}
"""The envelope fields ``events.to_envelope`` derives from a record, as SQL expressions."""

_NESTED_JSON = (
    "a path inside {column} below its first level: EventBridge also looks inside arrays on the "
    "way (any element), json_extract does not, so SQL is not exact"
)
_TYPED = (
    "{kind} match on a STRING column: the table reads every value as text, so numbers, booleans "
    "and null cannot be told apart from strings"
)
_IP = (
    "an IP address or CIDR match: EventBridge parses addresses with Java's rules (any spelling "
    "of the address, IPv4-mapped IPv6), which SQL does not reproduce exactly"
)


NESTED_ARRAYS = (
    "inside requestParameters & co. an array nested in an array is not looked into "
    '(EventBridge would: [["x"]] holds "x"); see docs/athena-notes.md'
)
"""The one known difference, noted on every statement that reads inside a JSON column."""


def reads_json_columns(where: str) -> bool:
    """Whether translated SQL reads inside a JSON column (and so carries ``NESTED_ARRAYS``)."""
    return "json_extract(" in where


def pattern_where(pattern: str | Mapping[str, Any], dialect: Dialect = ATHENA) -> str:
    """The WHERE body selecting exactly the records whose envelope the pattern matches.

    Raises InvalidEventPattern for an invalid pattern (AWS's message) and Untranslatable naming
    every field SQL cannot express exactly.
    """
    rules = compile_rules(pattern, None)
    problems: list[Problem] = []
    translated: list[dict[str, str]] = []
    for rule in rules:
        predicates: dict[str, str] = {}
        for path in sorted(rule, key=sort_key):
            try:
                predicates[path] = field_predicate(path, rule[path], dialect)
            except Untranslatable as error:
                problems.extend(error.problems)
        translated.append(predicates)
    if problems:
        raise Untranslatable(problems)
    if len(translated) == 1:
        return _sql.where(list(translated[0].values()))
    first, *others = translated
    common = {
        path: predicate
        for path, predicate in first.items()
        if all(other.get(path) == predicate for other in others)
    }
    branches = [
        [predicate for path, predicate in branch.items() if path not in common]
        for branch in translated
    ]
    return _sql.where(list(common.values()), branches)


def field_predicate(path: str, matchers: Sequence[Matcher], dialect: Dialect = ATHENA) -> str:
    """SQL for one field path of a sub-rule and its list of matchers (any may match)."""
    head, _, rest = path.partition(".")
    if head in ENVELOPE and not rest:
        return _string_field(path, ENVELOPE[head], matchers, dialect, nullable=False)
    if head != "detail":
        raise Untranslatable.one(path, "not an envelope field derived from a table column")
    if not rest:
        raise Untranslatable.one(path, "the record itself is an object, not a value")
    try:
        found, keys = column(rest)
    except KeyError as error:
        raise Untranslatable.one(path, str(error.args[0])) from None
    if found.kind is Kind.BOOLEAN:
        return _boolean_field(found, matchers)
    if found.kind is Kind.STRING:
        return _string_field(path, found.sql, matchers, dialect, nullable=True)
    if not keys:
        raise Untranslatable.one(path, f"{found.sql} is an object (or null), not a value")
    if len(keys) > 1:
        raise Untranslatable.one(path, _NESTED_JSON.format(column=found.sql))
    return _json_field(path, found, keys, matchers, dialect)


def _check_ip(path: str, matchers: Sequence[Matcher]) -> None:
    if any(matcher.ip for matcher in matchers):
        raise Untranslatable.one(path, _IP)


def _string_field(
    path: str, value: str, matchers: Sequence[Matcher], dialect: Dialect, *, nullable: bool
) -> str:
    _check_ip(path, matchers)
    for matcher in matchers:
        if matcher.kind in {"number", "literal", "numeric"} or matcher.key[:2] == (
            "anything-but",
            "numbers",
        ):
            literal = matcher.key[1] if matcher.kind == "literal" else None
            kind = f"a {literal}" if literal in {"true", "false", "null"} else "a numeric"
            raise Untranslatable.one(path, _TYPED.format(kind=kind))
    parts: list[str] = []
    if EXISTS in matchers:
        parts.append(f"{value} IS NOT NULL" if nullable else _sql.TRUE)
    if ABSENT in matchers:
        parts.append(f"{value} IS NULL" if nullable else _sql.FALSE)
    parts.append(string_tests(value, matchers, dialect))
    return _sql.any_of(parts)


def string_tests(value: str, matchers: Sequence[Matcher], dialect: Dialect) -> str:
    """Whether a string value satisfies any matcher (``exists`` and IP forms excluded)."""
    exact = sorted({str(matcher.key[1]) for matcher in matchers if matcher.kind == "exact"})
    parts = []
    if len(exact) == 1:
        parts.append(f"{value} = {_sql.string(str(exact[0]))}")
    elif exact:
        parts.append(f"{value} IN {_sql.strings([str(text) for text in exact])}")
    parts += [
        _string_test(value, matcher, dialect) for matcher in matchers if matcher.kind != "exact"
    ]
    return _sql.any_of(parts)


def _string_test(value: str, matcher: Matcher, dialect: Dialect) -> str:
    kind, key = matcher.kind, matcher.key
    if kind in {"prefix", "suffix", "wildcard"}:
        return _like(value, kind, str(key[1]))
    if kind in {"prefix-ic", "suffix-ic", "equals-ic"}:
        mode = kind.removesuffix("-ic")
        return dialect.regexp_like(value, ignore_case_regex([str(key[-1])], mode))
    if kind == "anything-but":
        if key[1] == "numbers":
            return _sql.TRUE  # any string is not one of the numbers
        names = _texts(key[2])
        return f"{value} NOT IN {_sql.strings(names)}"
    if kind in {"anything-but-prefix", "anything-but-suffix", "anything-but-wildcard"}:
        mode = kind.removeprefix("anything-but-")
        texts = _texts(key[1])
        return "NOT " + _sql.any_of([_like(value, mode, text) for text in texts])
    if kind == "anything-but-ic":
        texts = _texts(key[1])
        return "NOT " + dialect.regexp_like(value, ignore_case_regex(texts, "equals"))
    return _sql.FALSE  # numbers, numeric ranges, true/false/null and exists never test a string


def _like(value: str, mode: str, text: str) -> str:
    if mode == "prefix":
        return _sql.like(value, _sql.like_literal(text) + "%")
    if mode == "suffix":
        return _sql.like(value, "%" + _sql.like_literal(text))
    pattern = "".join(
        "%" if piece is None else _sql.like_literal(piece) for piece in parse_wildcard(text)
    )
    return _sql.like(value, pattern)


def ignore_case_regex(texts: Sequence[str], mode: str) -> str:
    r"""A regex for equals-ignore-case (``mode``: equals, prefix, suffix) of any of ``texts``.

    As event-ruler (and ``_eventbridge_values.ignore_case``): each character of the pattern may
    appear in its lower- or upper-case form; the value itself is never case-mapped. ``\A`` and
    ``\z`` anchor at the ends of the text (``$`` would also match before a final newline).
    https://trino.io/docs/current/functions/regexp.html
    """
    bodies = []
    for text in texts:
        body = ""
        for char in text:
            forms = sorted({char} if ord(char) > 0xFFFF else {char.lower(), char.upper()})
            escaped = ["".join(_sql.regex_char(c) for c in form) for form in forms]
            if len(escaped) == 1:
                body += escaped[0]
            elif all(len(form) == 1 for form in forms):
                body += "[" + "".join(escaped) + "]"
            else:
                body += "(?:" + "|".join(escaped) + ")"
        bodies.append(body)
    joined = bodies[0] if len(bodies) == 1 else "(?:" + "|".join(bodies) + ")"
    start = "" if mode == "suffix" else "\\A"
    end = "" if mode == "prefix" else "\\z"
    return start + joined + end


def _boolean_field(found: Column, matchers: Sequence[Matcher]) -> str:
    """readOnly: the record holds a boolean, the column its text."""
    accept = acceptor(matchers)
    names = [name for literal, name in _LITERALS[:2] if accept(literal)]
    kept = [f"{found.sql} IN {_sql.strings(names)}"] if names else []
    if ABSENT in matchers:
        kept.append(f"{found.sql} IS NULL")
    return _sql.any_of(kept)


def _json_field(
    path: str,
    found: Column,
    keys: tuple[str, ...],
    matchers: Sequence[Matcher],
    dialect: Dialect,
) -> str:
    """A first-level field of a JSON column: a scalar, or an array whose elements are values.

    Arrays nested in that array are not looked into (EventBridge would): see docs/athena-notes.md.
    """
    _check_ip(path, matchers)
    value = _values.extract(dialect, found, keys)
    if value is None:
        raise Untranslatable.one(
            path, "a key no JSONPath reads alone (empty, or an unsigned integer, which is an index)"
        )
    elements = dialect.elements(value)
    # A JSON null element of the array may come out of the cast as SQL NULL: "v IS NULL" is it.
    element_present = _sql.any_of(["v IS NULL", dialect.is_scalar("v")])
    present = _sql.any_of(
        [dialect.is_scalar(value), dialect.any_match(elements, "v", element_present)]
    )
    if EXISTS in matchers:
        return present
    parts = []
    element_test = _json_value_test(path, matchers, "v", dialect, element=True)
    if element_test != _sql.FALSE:
        parts += [
            _json_value_test(path, matchers, value, dialect, element=False),
            dialect.any_match(elements, "v", element_test),
        ]
    if ABSENT in matchers:
        parts.append(f"NOT COALESCE({present}, FALSE)")
    return _sql.any_of(parts)


def _json_value_test(
    path: str, matchers: Sequence[Matcher], value: str, dialect: Dialect, *, element: bool
) -> str:
    """A test of one JSON value, following ``_eventbridge_eval.acceptor``.

    ``element``: the value is an array element, where SQL NULL stands for a JSON null.
    """
    strings = string_tests(dialect.as_text(value), matchers, dialect)
    numeric = any(matcher.numeric for matcher in matchers)
    number = dialect.as_double(value)
    numbers = _sql.any_of(
        [_number_test(path, matcher, number, numeric=numeric) for matcher in matchers]
    )
    accept = acceptor(matchers)
    literals = [name for literal, name in _LITERALS if accept(literal)]
    return _sql.any_of(
        [
            _sql.all_of([dialect.is_string(value), strings]),
            _sql.all_of([dialect.is_number(value), numbers]),
            dialect.json_literal_in(value, literals) if literals else _sql.FALSE,
            f"{value} IS NULL" if element and "null" in literals else _sql.FALSE,
        ]
    )


_LITERALS = ((True, "true"), (False, "false"), (None, "null"))


def _number_test(path: str, matcher: Matcher, number: str, *, numeric: bool) -> str:
    """Whether a number value satisfies one matcher (as a double when the field is numeric)."""
    kind, key = matcher.kind, matcher.key
    if kind.startswith("anything-but") and key[:2] != ("anything-but", "numbers"):
        return _sql.TRUE  # the string forms of anything-but accept any number
    if not numeric:
        if kind == "literal" and key[1] not in {"true", "false", "null"}:
            raise Untranslatable.one(
                path, f"the number {key[1]} is compared by its literal text, which SQL cannot see"
            )
        return _sql.FALSE
    if kind == "number":
        return f"{number} = {_sql.double(_number(key[1]))}"
    if kind == "anything-but":
        assert isinstance(key[2], frozenset)
        bounds = ", ".join(_sql.double(_number(item)) for item in sorted(key[2]))
        return f"{number} NOT IN ({bounds})"
    if kind == "numeric":
        if len(key) == 3:
            return f"{number} {key[1]} {_sql.double(_number(key[2]))}"
        _, low_op, low, high_op, high = key
        return (
            f"{number} {low_op} {_sql.double(_number(low))}"
            f" AND {number} {high_op} {_sql.double(_number(high))}"
        )
    return _sql.FALSE


def _texts(item: object) -> list[str]:
    """The strings of an operator's set (anything-but lists), sorted for stable output."""
    assert isinstance(item, frozenset)
    return sorted(str(text) for text in item)


def _number(item: object) -> float:
    """A number of an operator's key."""
    assert isinstance(item, int | float)
    return float(item)

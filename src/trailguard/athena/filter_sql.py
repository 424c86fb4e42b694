"""CloudWatch Logs JSON filter patterns as WHERE clauses on the CloudTrail table.

A JSON filter pattern reads the record itself (``$.eventName``). Unlike EventBridge, a selector
never looks inside arrays (``.name`` steps into objects only, ``[n]`` into arrays only), which is
what json_extract does, so paths at any depth inside the JSON columns translate exactly.
Semantics: ../shared/specs/cwlogs_filter_semantics.md and ``patterns/logs_filter/_json_codegen``.
"""

from __future__ import annotations

from trailguard.athena import _sql, _values
from trailguard.athena.dialect import ATHENA, Dialect
from trailguard.athena.table import Column, Kind, column
from trailguard.athena.untranslatable import Problem, Untranslatable
from trailguard.patterns.logs_filter import JsonPattern, compile_filter
from trailguard.patterns.logs_filter._json_ast import Check, Comparison, Condition, JsonExpr
from trailguard.patterns.logs_filter._tokens import AllOf, AnyOf
from trailguard.patterns.logs_filter._values import Glob, GlobKind, NumberValue, TextValue
from trailguard.patterns.logs_filter.json_selector import Wildcard

_UNQUOTABLE = "a key no JSONPath reads alone (empty, or an unsigned integer, which is an index)"
_TYPED = (
    "{what} on a STRING column: the table reads every value as text, so it cannot tell the "
    "value's JSON type"
)


def filter_where(text: str, dialect: Dialect = ATHENA) -> str:
    """The WHERE body selecting exactly the records the JSON filter pattern matches.

    Raises InvalidFilterPattern for an invalid pattern and Untranslatable for anything else
    SQL cannot express exactly (space-delimited and term patterns read the raw log line).
    """
    pattern = compile_filter(text)
    if not isinstance(pattern, JsonPattern):
        raise Untranslatable.one(
            text, "only JSON filter patterns ({ ... }) translate; this one reads the raw line"
        )
    problems: list[Problem] = []
    where = _expression(pattern.expression, problems, dialect)
    if problems:
        raise Untranslatable(problems)
    return where


def _expression(node: JsonExpr, problems: list[Problem], dialect: Dialect) -> str:
    if isinstance(node, AllOf):
        return _sql.all_of([_expression(part, problems, dialect) for part in node.parts])
    if isinstance(node, AnyOf):
        return _sql.any_of([_expression(part, problems, dialect) for part in node.parts])
    try:
        return _condition(node, dialect)
    except Untranslatable as error:
        problems.extend(error.problems)
        return _sql.TRUE


def _condition(node: Condition, dialect: Dialect) -> str:
    selector = node.selector
    name = selector.text
    steps = selector.steps
    if any(isinstance(step, Wildcard) for step in steps) or not isinstance(steps[0], str):
        raise Untranslatable.one(name, "wildcard selectors and a leading [n] are not translated")
    keys: list[str] = []
    found: Column | None = None
    rest: tuple[str | int, ...] = ()
    for at, step in enumerate(steps):
        if not isinstance(step, str):
            break
        keys.append(step)
        try:
            found, inner = column(".".join(keys))
        except KeyError:
            continue
        rest = (*inner, *steps[at + 1 :])  # type: ignore[arg-type]
        break
    if found is None:
        raise Untranslatable.one(name, "not a column of the standard CloudTrail table")
    if found.kind is Kind.JSON:
        if not rest:
            raise Untranslatable.one(name, f"{found.sql} is an object (or null), not a value")
        value = _values.extract(dialect, found, rest)
        if value is None:
            raise Untranslatable.one(name, _UNQUOTABLE)
        # json_extract's [n] also reads an object's key "n"; a selector's [n] reads arrays only.
        guards = [
            dialect.is_array(_values.extract(dialect, found, rest[:at]) or "")
            for at, step in enumerate(rest)
            if isinstance(step, int)
        ]
        condition = _json_condition(name, node, value, dialect)
        if not guards:
            return condition
        if isinstance(node, Check) and node.test == "NOT EXISTS":
            return _sql.any_of([condition, f"NOT ({_sql.all_of(guards)})"])
        return _sql.all_of([*guards, condition])
    if rest:
        raise Untranslatable.one(name, "not a column of the standard CloudTrail table")
    if found.kind is Kind.BOOLEAN:
        return _boolean_condition(name, node, found.sql)
    return _string_condition(name, node, found.sql)


def _glob(value: str, glob: Glob) -> str:
    core = _sql.like_literal(glob.core)
    if glob.kind is GlobKind.EXACT:
        return f"{value} = {_sql.string(glob.core)}"
    if glob.kind is GlobKind.ANY:
        return _sql.TRUE
    pattern = {
        GlobKind.PREFIX: core + "%",
        GlobKind.SUFFIX: "%" + core,
        GlobKind.CONTAINS: "%" + core + "%",
    }[glob.kind]
    return _sql.like(value, pattern)


def _string_condition(name: str, node: Condition, value: str) -> str:
    """A STRING column: the leaf is the column's string, or missing (NULL)."""
    if isinstance(node, Check):
        if node.test == "NOT EXISTS":
            return f"{value} IS NULL"
        raise Untranslatable.one(name, _TYPED.format(what=f"IS {node.test}"))
    if isinstance(node.value, TextValue):
        test = _glob(value, node.value.glob)
        present = f"{value} IS NOT NULL"
        if node.op == "=":
            return present if test == _sql.TRUE else test
        return _sql.FALSE if test == _sql.TRUE else _sql.all_of([present, f"NOT {test}"])
    if isinstance(node.value, NumberValue) and node.op in {"=", "!="}:
        # A string leaf is compared with the number's text as written.
        operator = "=" if node.op == "=" else "<>"
        return f"{value} {operator} {_sql.string(node.value.raw)}"
    what = "a regular expression" if not isinstance(node.value, NumberValue) else "a comparison"
    reason = (
        "regular expressions use AWS's own dialect"
        if what == "a regular expression"
        else _TYPED.format(what=f"{node.op} {node.value.raw}")  # type: ignore[union-attr]
    )
    raise Untranslatable.one(name, reason)


def _boolean_condition(name: str, node: Condition, value: str) -> str:
    """readOnly: the record holds a boolean; only IS TRUE / IS FALSE / NOT EXISTS can hold."""
    if isinstance(node, Check):
        if node.test == "NOT EXISTS":
            return f"{value} IS NULL"
        if node.test in {"TRUE", "FALSE"}:
            return f"{value} = {_sql.string(node.test.lower())}"
    raise Untranslatable.one(name, "readOnly holds a boolean: use IS TRUE or IS FALSE")


def _json_condition(name: str, node: Condition, value: str, dialect: Dialect) -> str:
    """A leaf inside a JSON column, told apart by its JSON type."""
    if isinstance(node, Check):
        if node.test == "NOT EXISTS":
            return f"{value} IS NULL"
        return dialect.json_literal_in(value, [node.test.lower()])
    text, number = dialect.as_text(value), dialect.as_double(value)
    if isinstance(node, Comparison) and isinstance(node.value, NumberValue):
        operator = {"=": "=", "!=": "<>"}.get(node.op, node.op)
        on_number = _sql.all_of(
            [dialect.is_number(value), f"{number} {operator} {_sql.double(node.value.number)}"]
        )
        if node.op not in {"=", "!="}:
            return on_number
        on_string = _sql.all_of(
            [dialect.is_string(value), f"{text} {operator} {_sql.string(node.value.raw)}"]
        )
        return _sql.any_of([on_string, on_number])
    if isinstance(node, Comparison) and isinstance(node.value, TextValue):
        glob = node.value.glob
        if glob.can_match_number:
            raise Untranslatable.one(
                name, "the value could match a number's text as written, which SQL cannot see"
            )
        test = _glob(text, glob)
        if node.op == "=":
            return _sql.all_of([dialect.is_string(value), test])
        # != holds for a string that does not fit, and for any number.
        return _sql.any_of(
            [_sql.all_of([dialect.is_string(value), f"NOT {test}"]), dialect.is_number(value)]
        )
    raise Untranslatable.one(name, "regular expressions use AWS's own dialect")

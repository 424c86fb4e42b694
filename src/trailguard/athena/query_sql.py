"""A ``trailguard search`` query as one SELECT on the CloudTrail table.

Each option mirrors the Python test in ``investigate/query.py`` (read there for the meaning);
values of one option are alternatives (OR), options are all required (AND). ``*`` and ``?``
globs become LIKE ``%`` and ``_``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable

from trailguard.athena import _sql
from trailguard.athena.dialect import ATHENA, Dialect
from trailguard.athena.eventbridge_sql import NESTED_ARRAYS, pattern_where, reads_json_columns
from trailguard.athena.filter_sql import filter_where
from trailguard.athena.table import partition_days, select_from
from trailguard.athena.untranslatable import Problem, Untranslatable
from trailguard.investigate.globs import Globs
from trailguard.investigate.query import OPTIONS, Query

# Dotted IPv4 without leading zeros, and IPv6 text without a zone (%eth0): the spellings that
# Python's ip_address and Trino's IPADDRESS both read, and read alike.
_IPV4_TEXT = r"\A(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}\z"
_IPV6_TEXT = r"\A[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\z"


def query_select(query: Query, table: str, dialect: Dialect = ATHENA) -> str:
    """The SELECT listing exactly the records ``trailguard search`` would find.

    The query is validated first (``Query.compile``: errors name the option); options SQL
    cannot express exactly raise Untranslatable naming them.
    """
    query.compile()
    problems: list[Problem] = []
    conjuncts = [*partition_days(*_window(query)), *_conditions(query, problems, dialect)]
    if problems:
        raise Untranslatable(problems)
    described = [f"{option} {values}" for option, values in query.describe()]
    comments = ["trailguard search " + "  ".join(described) if described else "trailguard search"]
    if any(reads_json_columns(pattern_where(text)) for text in query.event_patterns):
        comments.append(f"note: --match: {NESTED_ARRAYS}")
    return select_from(table, _sql.where(conjuncts), comments)


def _window(query: Query) -> tuple[str | None, str | None]:
    window = query.window
    return window.since, window.until


def _conditions(query: Query, problems: list[Problem], dialect: Dialect) -> list[str]:
    found: list[str] = []
    window = query.window
    if window.since:
        found.append(f"eventtime >= {_sql.string(window.since)}")
    if window.until:
        found.append(f"eventtime <= {_sql.string(window.until)}")
    if query.event_ids:
        found.append(_in("eventid", query.event_ids))
    if query.access_keys:
        found.append(_in("useridentity.accesskeyid", query.access_keys))
    if query.event_names:
        found.append(_field("eventname", Globs.of(query.event_names)))
    if query.exclude_event_names:
        # str(record.get("eventName", "")): a missing name is tested as "".
        found.append(
            "NOT " + _globs("COALESCE(eventname, '')", Globs.of(query.exclude_event_names))
        )
    if query.event_sources:
        found.append(_field("eventsource", Globs.of(query.event_sources)))
    if query.users:
        found.append(_users(Globs.of(query.users), dialect))
    if query.principal_arns:
        arns = Globs.of(query.principal_arns)
        found.append(
            _sql.any_of(
                [
                    _named("useridentity.arn", arns),
                    _named("useridentity.sessioncontext.sessionissuer.arn", arns),
                ]
            )
        )
    if query.source_ips:
        found.append(_source_ips(query.source_ips, dialect))
    if query.regions:
        found.append(_in("awsregion", query.regions))
    if query.accounts:
        found.append(
            _in("COALESCE(NULLIF(recipientaccountid, ''), useridentity.accountid)", query.accounts)
        )
    if query.read_only is not None:
        # readOnly true (or "true") is a read; anything else, missing included, a write.
        found.append("readonly = 'true'" if query.read_only else "COALESCE(readonly, '') <> 'true'")
    if query.errors or query.error_codes:
        found.append("errorcode <> ''")
    if query.error_codes:
        found.append(_field("errorcode", Globs.of(query.error_codes)))
    if query.resource_types:
        types = Globs.of(query.resource_types)
        kind = _globs("COALESCE(r.type, '')", types)
        found.append(dialect.any_match("resources", "r", f"r IS NOT NULL AND {kind}"))
    if query.resource_names:
        found.append(_resource_names(Globs.of(query.resource_names), dialect))
    found += [
        _translated(OPTIONS["event_patterns"], problems, pattern_where, text, dialect)
        for text in query.event_patterns
    ]
    found += [
        _translated(OPTIONS["filter_patterns"], problems, filter_where, text, dialect)
        for text in query.filter_patterns
    ]
    return found


def _translated(
    option: str,
    problems: list[Problem],
    translate: Callable[[str, Dialect], str],
    text: str,
    dialect: Dialect,
) -> str:
    try:
        return f"({translate(text, dialect)})"
    except Untranslatable as error:
        problems.extend(
            Problem(f"{option} {problem.path}", problem.reason) for problem in error.problems
        )
        return _sql.TRUE


def _in(value: str, values: Iterable[str]) -> str:
    listed = sorted(set(values))
    return (
        f"{value} = {_sql.string(listed[0])}"
        if len(listed) == 1
        else f"{value} IN {_sql.strings(listed)}"
    )


def _glob_like(glob: str) -> str:
    return "".join(
        "%" if part == "*" else "_" if part == "?" else _sql.like_literal(part)
        for part in re.split(r"([*?])", glob)
        if part
    )


def _globs(value: str, globs: Globs) -> str:
    """Whether a string is one of the exact values or fits a glob (``Globs.matches``)."""
    parts = [_in(value, globs.exact)] if globs.exact else []
    parts += [
        _sql.like(value, _glob_like(glob)) for glob in sorted(set(globs.values) - globs.exact)
    ]
    return _sql.any_of(parts)


def _field(value: str, globs: Globs) -> str:
    """``_field_test``: exact values need the string; globs test non-strings as ""."""
    if globs.all_exact:
        return _in(value, globs.exact)
    return _globs(f"COALESCE({value}, '')", globs)


def _named(value: str, globs: Globs) -> str:
    """A name that counts only when it is a non-empty string (``user_names``, ``principal_arns``).

    Python tests only non-empty strings; SQL's ``<> ''`` is also false for NULL.
    """
    return _sql.all_of([f"{value} <> ''", _globs(value, globs)])


def _users(globs: Globs, dialect: Dialect) -> str:
    arn = "useridentity.arn"
    session = dialect.last_part(arn, "/")  # arn.rsplit("/", 1)[-1]
    return _sql.any_of(
        [
            _named("useridentity.username", globs),
            _named("useridentity.sessioncontext.sessionissuer.username", globs),
            _sql.all_of([f"strpos({arn}, ':assumed-role/') > 0", _named(session, globs)]),
        ]
    )


def _source_ips(values: Iterable[str], dialect: Dialect) -> str:
    """sourceIPAddress: a service name exactly, or an address inside a network.

    Python's ``ip_address`` and Trino's IPADDRESS accept the same dotted IPv4 and IPv6 text
    (neither takes leading zeros); an IPv4 network only holds IPv4 text (Python never puts an
    IPv6 address in an IPv4 network, Trino would for ``::ffff:a.b.c.d``).
    https://trino.io/docs/current/functions/ipaddress.html
    """
    names: list[str] = []
    parts: list[str] = []
    for value in values:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            names.append(value)
            continue
        shape = _IPV4_TEXT if network.version == 4 else _IPV6_TEXT
        text = dialect.regexp_like("sourceipaddress", shape)
        parts.append(_sql.all_of([text, dialect.in_network("sourceipaddress", str(network))]))
    if names:
        parts.insert(0, _in("sourceipaddress", names))
    return _sql.any_of(parts)


def _resource_names(globs: Globs, dialect: Dialect) -> str:
    """Any resource whose ARN, or the ARN's last part after ``:`` or ``/``, fits."""
    arn = "COALESCE(r.arn, '')"
    tail = dialect.last_part_regex(arn, "[:/]")
    test = _sql.any_of([_globs(arn, globs), _sql.all_of([f"{tail} <> ''", _globs(tail, globs)])])
    return dialect.any_match("resources", "r", f"r IS NOT NULL AND {test}")

"""A search query over CloudTrail records, compiled once into one fast record test.

Values of one option are alternatives (any may match); different options must all match.
Every test reads the record as CloudTrail writes it; field meanings:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from trailguard.errors import ConfigError, PatternError
from trailguard.events import to_envelope
from trailguard.investigate.globs import Globs
from trailguard.patterns.eventbridge import compile_pattern
from trailguard.patterns.logs_filter import compile_filter
from trailguard.scan import ScanWindow
from trailguard.timeparse import cloudtrail_time

Record = Mapping[str, Any]
RecordTest = Callable[[Record], bool]
"""One condition of a query, applied to a bare CloudTrail record."""

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

OPTIONS: dict[str, str] = {
    "since": "--since",
    "until": "--until",
    "event_names": "--event-name",
    "exclude_event_names": "--exclude-event-name",
    "event_sources": "--event-source",
    "users": "--user",
    "principal_arns": "--principal-arn",
    "access_keys": "--access-key",
    "source_ips": "--source-ip",
    "regions": "--region",
    "accounts": "--account",
    "read_only": "--read-only",
    "errors": "--errors",
    "error_codes": "--error-code",
    "resource_types": "--resource-type",
    "resource_names": "--resource-name",
    "event_ids": "--event-id",
    "event_patterns": "--match",
    "filter_patterns": "--filter",
}
"""The command-line option of each query field, used in messages and in reports."""

_ACCOUNT = re.compile(r"^\d{12}$")
_ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")
_REGION = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
_IP_LIKE = re.compile(r"^[0-9a-fA-F.:/]+$")


@dataclass(frozen=True)
class Query:
    """What to look for; every field is optional and empty means "any"."""

    since: datetime | None = None
    until: datetime | None = None
    event_names: tuple[str, ...] = ()
    exclude_event_names: tuple[str, ...] = ()
    event_sources: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    principal_arns: tuple[str, ...] = ()
    access_keys: tuple[str, ...] = ()
    source_ips: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    read_only: bool | None = None
    errors: bool = False
    error_codes: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    event_patterns: tuple[str, ...] = ()
    filter_patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        sources = tuple(normalize_event_source(source) for source in self.event_sources)
        object.__setattr__(self, "event_sources", sources)

    @property
    def window(self) -> ScanWindow:
        """The eventTime range, as CloudTrail time strings."""
        return ScanWindow(
            since=cloudtrail_time(self.since) if self.since else None,
            until=cloudtrail_time(self.until) if self.until else None,
        )

    def describe(self) -> list[tuple[str, str]]:
        """``(option, values)`` for every condition set, in option order, for people to read."""
        described: list[tuple[str, str]] = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "read_only" and value is not None:
                described.append(("--read-only" if value else "--write-only", "yes"))
            elif isinstance(value, datetime):
                described.append((OPTIONS[field.name], cloudtrail_time(value)))
            elif isinstance(value, tuple) and value:
                described.append((OPTIONS[field.name], ", ".join(value)))
            elif value is True:
                described.append((OPTIONS[field.name], "yes"))
        return described

    def to_args(self) -> list[str]:
        """The ``trailguard search`` options that express this query."""
        arguments: list[str] = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "read_only":
                if value is not None:
                    arguments.append("--read-only" if value else "--write-only")
            elif isinstance(value, datetime):
                arguments += [OPTIONS[field.name], cloudtrail_time(value)]
            elif isinstance(value, tuple):
                for item in value:
                    arguments += [OPTIONS[field.name], item]
            elif value is True:
                arguments.append(OPTIONS[field.name])
        return arguments

    def compile(self) -> CompiledQuery:
        """Validate every value and build the record test; errors name the option."""
        return _compile(self)


def normalize_event_source(value: str) -> str:
    """``ec2`` -> ``ec2.amazonaws.com``; a full endpoint name is kept as it is."""
    value = value.strip()
    return value if "." in value or not value else f"{value}.amazonaws.com"


@dataclass(frozen=True)
class LiteralGroup:
    """Byte strings of which a matching record's raw JSON text holds at least one."""

    option: str
    literals: tuple[bytes, ...]


@dataclass(frozen=True)
class CompiledQuery:
    """A query ready to test records: ``matches`` never raises."""

    query: Query
    tests: tuple[RecordTest, ...]
    literal_groups: tuple[LiteralGroup, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "matches", _all_of(self.tests))

    def matches(self, record: Record) -> bool:
        """Whether the bare CloudTrail record meets every condition."""
        return all(test(record) for test in self.tests)  # replaced by _all_of in __post_init__


def _all_of(tests: tuple[RecordTest, ...]) -> RecordTest:
    """One function testing every condition, unrolled for the common short queries."""
    if not tests:
        return lambda _: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda record: first(record) and second(record)
    if len(tests) == 3:
        first, second, third = tests
        return lambda record: first(record) and second(record) and third(record)

    return lambda record: all(test(record) for test in tests)


def _compile(query: Query) -> CompiledQuery:
    tests: list[RecordTest] = []
    groups: list[LiteralGroup] = []

    def group(name: str, literals: tuple[bytes, ...] | None) -> None:
        if literals:
            groups.append(LiteralGroup(OPTIONS[name], literals))

    if query.event_ids:
        ids = frozenset(query.event_ids)
        tests.append(lambda record: record.get("eventID") in ids)
        group("event_ids", Globs.of(query.event_ids).literals(whole_string=True, string_end=True))
    if query.access_keys:
        keys = frozenset(
            _checked(query.access_keys, "access_keys", _ACCESS_KEY, "an access key id")
        )
        tests.append(_access_key_test(keys))
        group("access_keys", Globs.of(keys).literals(whole_string=True, string_end=True))
    if query.event_names:
        names = Globs.of(query.event_names)
        tests.append(_field_test("eventName", names))
        group("event_names", names.literals(whole_string=True, string_end=True))
    if query.users:
        users = Globs.of(query.users)
        tests.append(lambda record: any(users.matches(name) for name in user_names(record)))
        group("users", users.literals(whole_string=False, string_end=True))
    if query.principal_arns:
        arns = Globs.of(query.principal_arns)
        tests.append(lambda record: any(arns.matches(arn) for arn in principal_arns(record)))
        group("principal_arns", arns.literals(whole_string=True, string_end=True))
    if query.source_ips:
        tests.append(_source_ip_test(query.source_ips))
        group("source_ips", _ip_literals(query.source_ips))
    if query.resource_names:
        names_of_resources = Globs.of(query.resource_names)
        tests.append(
            lambda record: any(
                names_of_resources.matches(name)
                for _, arn in _resources(record)
                for name in _resource_names(arn)
            )
        )
        group("resource_names", names_of_resources.literals(whole_string=False, string_end=True))
    if query.resource_types:
        types = Globs.of(query.resource_types)
        tests.append(lambda record: any(types.matches(kind) for kind, _ in _resources(record)))
        group("resource_types", types.literals(whole_string=True, string_end=True))
    if query.errors or query.error_codes:
        tests.append(lambda record: bool(record.get("errorCode")))
        group("errors", (b'"errorCode"',))
    if query.error_codes:
        codes = Globs.of(query.error_codes)
        tests.append(_field_test("errorCode", codes))
        group("error_codes", codes.literals(whole_string=True, string_end=True))
    if query.event_sources:
        sources = Globs.of(query.event_sources)
        tests.append(_field_test("eventSource", sources))
        group("event_sources", sources.literals(whole_string=True, string_end=True))
    if query.accounts:
        accounts = frozenset(
            _checked(query.accounts, "accounts", _ACCOUNT, "a 12-digit account id")
        )
        tests.append(lambda record: _account(record) in accounts)
        group("accounts", Globs.of(accounts).literals(whole_string=True, string_end=True))
    if query.regions:
        regions = frozenset(_checked(query.regions, "regions", _REGION, "a region name"))
        tests.append(lambda record: record.get("awsRegion") in regions)
        group("regions", Globs.of(regions).literals(whole_string=True, string_end=True))
    if query.read_only is not None:
        tests.append(_read_only_test(want=query.read_only))
    window = query.window
    if window.since or window.until:
        if window.since and window.until and window.since > window.until:
            raise ConfigError(f"--since ({window.since}) is after --until ({window.until})")
        tests.append(lambda record: window.contains(record.get("eventTime")))
    if query.exclude_event_names:
        excluded = Globs.of(query.exclude_event_names)
        tests.append(lambda record: not excluded.matches(str(record.get("eventName", ""))))
    tests.extend(_event_pattern_test(text) for text in query.event_patterns)
    tests.extend(_filter_pattern_test(text) for text in query.filter_patterns)
    return CompiledQuery(query, tuple(tests), tuple(groups))


def _checked(values: Iterable[str], name: str, shape: re.Pattern[str], what: str) -> list[str]:
    checked = []
    for value in values:
        if not shape.match(value):
            raise ConfigError(f"{OPTIONS[name]}: {value!r} is not {what}")
        checked.append(value)
    return checked


def _field_test(key: str, globs: Globs) -> RecordTest:
    if globs.all_exact:
        exact = globs.exact
        return lambda record: record.get(key) in exact
    return lambda record: globs.matches(_text(record.get(key)))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _identity(record: Record) -> Mapping[str, Any]:
    identity = record.get("userIdentity")
    return identity if isinstance(identity, Mapping) else {}


def _access_key_test(keys: frozenset[str]) -> RecordTest:
    def uses_key(record: Record) -> bool:
        identity = record.get("userIdentity")
        return type(identity) is dict and identity.get("accessKeyId") in keys

    return uses_key


def _account(record: Record) -> object:
    return record.get("recipientAccountId") or _identity(record).get("accountId")


def _issuer(identity: Mapping[str, Any]) -> Mapping[str, Any]:
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, Mapping) else None
    return issuer if isinstance(issuer, Mapping) else {}


def user_names(record: Record) -> list[str]:
    """Names ``--user`` matches: the IAM user name, the role name and the role session name."""
    identity = _identity(record)
    names = [identity.get("userName"), _issuer(identity).get("userName")]
    arn = identity.get("arn")
    if isinstance(arn, str) and ":assumed-role/" in arn:
        names.append(arn.rsplit("/", 1)[-1])
    return [name for name in names if isinstance(name, str) and name]


def principal_arns(record: Record) -> list[str]:
    """ARNs ``--principal-arn`` matches: the caller's, and the role behind a role session."""
    identity = _identity(record)
    arns = [identity.get("arn"), _issuer(identity).get("arn")]
    return [arn for arn in arns if isinstance(arn, str) and arn]


def _read_only_test(*, want: bool) -> RecordTest:
    # LookupEvents and some records write readOnly as the string "true"; events without the
    # field (older ConsoleLogin records) count as writes.
    def is_read_only(record: Record) -> bool:
        value = record.get("readOnly")
        return (value is True or value == "true") is want

    return is_read_only


def _source_ip_test(values: Iterable[str]) -> RecordTest:
    networks: list[IpNetwork] = []
    names: set[str] = set()
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            if _IP_LIKE.match(value):
                raise ConfigError(
                    f"--source-ip: {value!r} is not an IP address or CIDR block"
                ) from None
            names.add(value)  # sourceIPAddress may be a service name, e.g. ec2.amazonaws.com
    cache: dict[str, bool] = {}

    def matches(record: Record) -> bool:
        address = record.get("sourceIPAddress")
        if not isinstance(address, str):
            return False
        if address in names:
            return True
        known = cache.get(address)
        if known is None:
            known = _in_networks(address, networks)
            if len(cache) < 65536:
                cache[address] = known
        return known

    return matches


def _in_networks(address: str, networks: list[IpNetwork]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def _ip_literals(values: Iterable[str]) -> tuple[bytes, ...] | None:
    """Quoted single IPv4 addresses (whose text form is unique); None for anything else."""
    found = []
    for value in values:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            found.append(value)
            continue
        if network.version != 4 or network.num_addresses != 1:
            return None
        found.append(str(network.network_address))
    return Globs.of(found).literals(whole_string=True, string_end=True)


def _resources(record: Record) -> list[tuple[str, str]]:
    resources = record.get("resources")
    if not isinstance(resources, list):
        return []
    return [
        (_text(item.get("type")), _text(item.get("ARN")))
        for item in resources
        if isinstance(item, Mapping)
    ]


def _resource_names(arn: str) -> tuple[str, ...]:
    """An ARN and its last part: ``arn:aws:s3:::bucket`` -> ``bucket``."""
    tail = re.split(r"[:/]", arn)[-1]
    return (arn, tail) if tail and tail != arn else (arn,)


def _event_pattern_test(text: str) -> RecordTest:
    try:
        pattern = compile_pattern(text)
    except PatternError as error:
        raise ConfigError(f"--match: {error}") from None
    return lambda record: pattern.matches(to_envelope(record))


def _filter_pattern_test(text: str) -> RecordTest:
    try:
        pattern = compile_filter(text)
    except PatternError as error:
        raise ConfigError(f"--filter: {error}") from None
    return pattern.matches_parsed

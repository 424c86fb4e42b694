"""Read ``trailguard.yaml``: every problem at once, each at its file and line.

The keys are listed in ``CONFIG_KEYS``; each destination type's options in ``DESTINATION_OPTIONS``.
Secrets (webhook URLs, tokens, passwords) must be references (``env:``, ``ssm:``,
``secretsmanager:``), so the file can be committed and shared.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from trailguard.config.model import (
    Accounts,
    Config,
    DeliveryPolicy,
    Destination,
    Route,
    RouteMatch,
    RuleSelection,
    SecretRef,
    Suppression,
    Target,
    Template,
    Throttle,
    WatchSettings,
)
from trailguard.errors import ConfigError, Location
from trailguard.rules._yaml import LineDict, line_of, load_yaml, plain
from trailguard.rules.model import Severity, parse_duration
from trailguard.timeparse import zone

CONFIG_KEYS = frozenset(
    {
        "time_zone",
        "destinations",
        "routes",
        "suppressions",
        "throttle",
        "accounts",
        "delivery",
        "rules",
        "templates",
        "watch",
    }
)
ALIAS_LOOKUPS = ("organizations", "iam")
TEMPLATE_KEYS = ("title", "summary")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_@:\-]+)*$")
TEMPLATE_FIELDS = frozenset(
    {
        "title",
        "rule_id",
        "severity",
        "identity_type",
        "principal",
        "person",
        "principal_arn",
        "event_name",
        "event_source",
        "account",
        "account_alias",
        "region",
        "source_ip",
        "error_code",
        "error_message",
        "user_agent",
        "event_id",
        "event_time",
        "event_time_utc",
        "count",
    }
)
"""The simple ``{name}`` placeholders of templates; ``{a.b}`` is a record path, ``{fields.x}``
a rule field."""


@dataclass(frozen=True)
class Option:
    """One destination option: its kind, and whether it is required or has a default."""

    kind: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()


_SECRET = Option("secret")
DESTINATION_OPTIONS: dict[str, dict[str, Option]] = {
    "slack": {
        "webhook_url": _SECRET,
        "token": _SECRET,
        "channel": Option("str"),
        "api_url": Option("str", default="https://slack.com/api"),
        "username": Option("str"),
        "icon_emoji": Option("str"),
    },
    "teams": {"url": Option("secret", required=True)},
    "webhook": {
        "url": Option("str_or_secret", required=True),
        "secret": _SECRET,
        "signature_header": Option("str", default="X-Trailguard-Signature-256"),
        "headers": Option("map", default={}),
        "include_record": Option("bool", default=True),
    },
    "email": {
        "host": Option("str", required=True),
        "port": Option("int", default=587),
        "tls": Option("choice", default="starttls", choices=("starttls", "ssl", "none")),
        "username": Option("str"),
        "password": _SECRET,
        "from": Option("str", required=True),
        "to": Option("list", required=True),
        "ca_file": Option("str"),
        "subject_prefix": Option("str", default="[trailguard]"),
    },
    "ses": {
        "from": Option("str", required=True),
        "to": Option("list", required=True),
        "region": Option("str"),
        "configuration_set": Option("str"),
        "subject_prefix": Option("str", default="[trailguard]"),
    },
    "sns": {
        "topic_arn": Option("str", required=True),
        "region": Option("str"),
        "format": Option("choice", default="text", choices=("text", "json")),
        "subject_prefix": Option("str", default="[trailguard]"),
    },
}


class InvalidConfig(ConfigError):
    """A configuration with problems; ``problems`` holds each one with its file and line."""

    def __init__(self, problems: list[ConfigError]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems

    def __str__(self) -> str:
        return self.message


Problem = Callable[[object, str | int | None, str], None]
"""Records a problem at a key (or item) of a YAML container: ``problem(container, key, text)``."""


def load_config(path: str | Path) -> Config:
    """Read and check a configuration file; raises InvalidConfig listing every problem."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(error.strerror or str(error), location=Location(where)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text: {error}", location=Location(where)) from None
    return config_from_text(text, where)


def config_from_text(text: str, source: str) -> Config:
    """Check configuration ``text`` read from ``source``; raises InvalidConfig."""
    config, problems = parse_config(text, source)
    if problems:
        raise InvalidConfig(problems)
    return config


def parse_config(text: str, source: str) -> tuple[Config, list[ConfigError]]:
    """The configuration in ``text`` and every problem found (the config is partial then)."""
    problems: list[ConfigError] = []

    def problem(container: object, key: str | int | None, message: str) -> None:
        name = key if isinstance(key, str) else None
        problems.append(
            ConfigError(message, location=Location(source, line_of(container, key), name))
        )

    try:
        document = load_yaml(text) if text.strip() else LineDict()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        location = Location(source, mark.line + 1 if mark else None)
        return Config(source=source), [ConfigError(f"not valid YAML: {error}", location=location)]
    if not isinstance(document, LineDict):
        problem(document, None, "the configuration must be a YAML mapping (destinations: ...)")
        return Config(source=source), problems
    if not hasattr(document, "line"):
        document.line, document.key_lines = 1, {}
    for key in document:
        if key not in CONFIG_KEYS:
            problem(
                document, key, f"unknown key {key!r}; keys are {', '.join(sorted(CONFIG_KEYS))}"
            )
    destinations = _destinations(document, source, problem)
    config = Config(
        time_zone=_time_zone(document, problem),
        destinations=destinations,
        routes=_routes(document, destinations, source, problem),
        suppressions=_suppressions(document, source, problem),
        throttle=_throttle(document, problem),
        accounts=_accounts(document, problem),
        delivery=_delivery(document, problem),
        rules=_rule_selection(document, problem),
        templates=_templates(document, "templates", problem),
        watch=_watch(document, problem),
        source=source,
    )
    problems.sort(key=lambda p: p.location.line or 0 if p.location else 0)
    return config, problems


def _section(doc: LineDict, key: str, problem: Problem) -> LineDict | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, LineDict):
        problem(doc, key, f"{key!r} must be a mapping")
        return None
    return value


def _unknown(
    section: LineDict, allowed: frozenset[str] | set[str], what: str, problem: Problem
) -> None:
    for key in section:
        if key not in allowed:
            problem(
                section, key, f"unknown {what} key {key!r}; keys are {', '.join(sorted(allowed))}"
            )


def _time_zone(doc: LineDict, problem: Problem) -> str:
    name = doc.get("time_zone", "UTC")
    if not isinstance(name, str):
        problem(doc, "time_zone", "'time_zone' must be an IANA name like Asia/Seoul")
        return "UTC"
    try:
        zone(name)
    except ConfigError as error:
        problem(doc, "time_zone", error.message)
        return "UTC"
    return name


def _destinations(doc: LineDict, source: str, problem: Problem) -> dict[str, Destination]:
    section = _section(doc, "destinations", problem)
    found: dict[str, Destination] = {}
    for name, value in (section or {}).items():
        if not isinstance(value, LineDict):
            problem(section, name, f"destination {name!r} must be a mapping with a type")
            continue
        kind = value.get("type")
        if kind not in DESTINATION_OPTIONS:
            types = ", ".join(sorted(DESTINATION_OPTIONS))
            problem(value, "type", f"destination {name!r}: type must be one of {types}")
            continue
        options = _options(name, kind, value, problem)
        templates = _templates(value, "templates", problem, allow_star=True)
        found[name] = Destination(name, kind, options, templates, Location(source, value.line))
    return found


def _options(name: str, kind: str, value: LineDict, problem: Problem) -> dict[str, Any]:
    specs = DESTINATION_OPTIONS[kind]
    _unknown(value, {*specs, "type", "templates"}, f"{kind} destination", problem)
    options: dict[str, Any] = {}
    for key, spec in specs.items():
        if key not in value or value[key] is None:
            if spec.required:
                problem(value, None, f"destination {name!r}: {key!r} is required")
            if spec.default is not None:
                options[key] = spec.default
            continue
        checked = _option(name, key, spec, value, problem)
        if checked is not None:
            options[key] = checked
    _cross_check(name, kind, options, value, problem)
    return options


def _option(name: str, key: str, spec: Option, value: LineDict, problem: Problem) -> Any:
    raw = value[key]
    label = f"destination {name!r}: {key!r}"
    if spec.kind in ("secret", "str_or_secret"):
        if not isinstance(raw, str) or not raw.strip():
            problem(value, key, f"{label} must be a string")
            return None
        ref = SecretRef.parse(raw)
        if ref is None and spec.kind == "secret":
            problem(
                value,
                key,
                f"{label} is a secret: write a reference (env:NAME, ssm:/parameter or "
                "secretsmanager:NAME), never the value itself",
            )
        return ref or raw
    if spec.kind == "str":
        if not isinstance(raw, str) or not raw.strip():
            problem(value, key, f"{label} must be a non-empty string")
            return None
        return raw
    if spec.kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool) or raw <= 0:
            problem(value, key, f"{label} must be a positive whole number")
            return None
        return raw
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            problem(value, key, f"{label} must be true or false")
            return None
        return raw
    if spec.kind == "choice":
        if raw not in spec.choices:
            problem(value, key, f"{label} must be one of {', '.join(spec.choices)}")
            return None
        return raw
    if spec.kind == "list":
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            problem(value, key, f"{label} must be a list of strings")
            return None
        return tuple(items)
    return _header_map(label, key, value, problem)


def _header_map(label: str, key: str, value: LineDict, problem: Problem) -> dict[str, Any] | None:
    raw = value[key]
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        problem(value, key, f"{label} must map header names to strings")
        return None
    return {header: SecretRef.parse(text) or text for header, text in raw.items()}


def _cross_check(
    name: str, kind: str, options: dict[str, Any], value: LineDict, problem: Problem
) -> None:
    label = f"destination {name!r}"
    if kind == "slack" and ("webhook_url" in options) == ("token" in options):
        problem(value, "type", f"{label}: give exactly one of webhook_url or token")
    if kind == "webhook":
        url = options.get("url")
        if isinstance(url, str) and not url.startswith(("https://", "http://")):
            problem(value, "url", f"{label}: url must start with https:// (or http://)")
    if kind == "email":
        if "password" in options and "username" not in options:
            problem(value, "password", f"{label}: a password needs a username")
        if "password" in options and options.get("tls") == "none":
            problem(value, "tls", f"{label}: refusing to send a password without TLS")
    if kind == "sns":
        arn = options.get("topic_arn")
        if isinstance(arn, str) and not arn.startswith("arn:"):
            problem(value, "topic_arn", f"{label}: topic_arn must be an SNS topic ARN")


def _routes(
    doc: LineDict, destinations: Mapping[str, Destination], source: str, problem: Problem
) -> tuple[Route, ...]:
    value = doc.get("routes")
    if value is None:
        return ()
    if not isinstance(value, list):
        problem(doc, "routes", "'routes' must be a list of {match: ..., to: [...]}")
        return ()
    routes: list[Route] = []
    for index, item in enumerate(value):
        if not isinstance(item, LineDict):
            problem(value, index, "a route must be a mapping with match: and to:")
            continue
        _unknown(item, {"name", "match", "to"}, "route", problem)
        match = _route_match(item, problem)
        targets = _targets(item, destinations, problem)
        if targets:
            name = item.get("name") if isinstance(item.get("name"), str) else f"routes[{index}]"
            routes.append(Route(match, targets, str(name), Location(source, item.line)))
    return tuple(routes)


def _route_match(item: LineDict, problem: Problem) -> RouteMatch:
    match = item.get("match")
    if match is None:
        return RouteMatch()
    if not isinstance(match, LineDict):
        problem(item, "match", "'match' must be a mapping (rules, tags, severity, accounts)")
        return RouteMatch()
    _unknown(match, {"rules", "tags", "severity", "min_severity", "accounts"}, "match", problem)
    severities = {
        _severity(match, "severity", s, problem) for s in _strings(match, "severity", problem)
    }
    minimum = match.get("min_severity")
    return RouteMatch(
        rules=_strings(match, "rules", problem),
        tags=_strings(match, "tags", problem),
        severities=frozenset(s for s in severities if s is not None),
        min_severity=_severity(match, "min_severity", minimum, problem) if minimum else None,
        accounts=_strings(match, "accounts", problem, accounts=True),
    )


def _targets(
    item: LineDict, destinations: Mapping[str, Destination], problem: Problem
) -> tuple[Target, ...]:
    value = item.get("to")
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list) or not value:
        problem(item, "to", "a route needs to: with one or more destination names")
        return ()
    targets: list[Target] = []
    for index, entry in enumerate(value):
        container: object = value
        key: str | int = index
        if isinstance(entry, str):
            target = Target(entry)
        elif isinstance(entry, LineDict) and isinstance(entry.get("destination"), str):
            _unknown(entry, {"destination", "channel"}, "target", problem)
            channel = entry.get("channel")
            target = Target(entry["destination"], channel if isinstance(channel, str) else None)
            container, key = entry, "destination"
        else:
            problem(value, index, "each target is a destination name or {destination:, channel:}")
            continue
        destination = destinations.get(target.destination)
        if destination is None:
            known = ", ".join(sorted(destinations)) or "none defined"
            problem(container, key, f"unknown destination {target.destination!r} ({known})")
            continue
        if target.channel and not (destination.type == "slack" and "token" in destination.options):
            problem(container, key, "channel: applies only to a slack destination with a token")
            continue
        targets.append(target)
    return tuple(targets)


def _suppressions(doc: LineDict, source: str, problem: Problem) -> tuple[Suppression, ...]:
    value = doc.get("suppressions")
    if value is None:
        return ()
    if not isinstance(value, list):
        problem(doc, "suppressions", "'suppressions' must be a list")
        return ()
    found: list[Suppression] = []
    keys = {"reason", "principals", "event_names", "source_ips", "rules", "accounts", "expires"}
    for index, item in enumerate(value):
        if not isinstance(item, LineDict):
            problem(value, index, "a suppression must be a mapping with a reason")
            continue
        _unknown(item, keys, "suppression", problem)
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problem(item, None, "a suppression needs a reason (say why it is safe to drop)")
        if not keys.difference({"reason", "expires"}).intersection(item):
            problem(
                item,
                None,
                "a suppression needs at least one of principals, event_names, "
                "source_ips, rules, accounts",
            )
        suppression = Suppression(
            reason=str(reason or ""),
            principals=_strings(item, "principals", problem),
            event_names=_strings(item, "event_names", problem),
            source_ips=_networks(item, problem),
            rules=_strings(item, "rules", problem),
            accounts=_strings(item, "accounts", problem, accounts=True),
            expires=_expiry(item, problem),
            location=Location(source, item.line),
        )
        found.append(suppression)
    return tuple(found)


def _networks(
    item: LineDict, problem: Problem
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for text in _strings(item, "source_ips", problem):
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            problem(item, "source_ips", f"{text!r} is not an IP address or CIDR block")
    return tuple(networks)


def _expiry(item: LineDict, problem: Problem) -> datetime | None:
    raw = item.get("expires")
    if raw is None:
        return None
    text = str(raw).strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        problem(item, "expires", f"expires: {text!r} is not a date (2025-07-01) or ISO time")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _throttle(doc: LineDict, problem: Problem) -> Throttle:
    section = _section(doc, "throttle", problem)
    if section is None:
        return Throttle()
    _unknown(section, {"window", "enabled"}, "throttle", problem)
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        problem(section, "enabled", "throttle.enabled must be true or false")
        enabled = True
    return Throttle(window=_duration(section, "window", 900, problem), enabled=enabled)


def _accounts(doc: LineDict, problem: Problem) -> Accounts:
    section = _section(doc, "accounts", problem)
    if section is None:
        return Accounts()
    _unknown(section, {"aliases", "lookup", "cache_ttl"}, "accounts", problem)
    aliases = section.get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        problem(section, "aliases", "accounts.aliases must map account ids to names")
        aliases = {}
    for account in aliases:
        if not re.fullmatch(r"\d{12}", str(account)):
            problem(aliases, account, f"{account!r} is not a 12-digit account id (quote it)")
    lookup = _strings(section, "lookup", problem)
    for method in lookup:
        if method not in ALIAS_LOOKUPS:
            problem(
                section, "lookup", f"accounts.lookup: {method!r} is not one of organizations, iam"
            )
    return Accounts(
        aliases={str(k): v for k, v in aliases.items()},
        lookup=tuple(m for m in lookup if m in ALIAS_LOOKUPS),
        cache_ttl=_duration(section, "cache_ttl", 86400, problem),
    )


def _delivery(doc: LineDict, problem: Problem) -> DeliveryPolicy:
    section = _section(doc, "delivery", problem)
    if section is None:
        return DeliveryPolicy()
    _unknown(section, {"attempts", "backoff", "max_delay", "timeout"}, "delivery", problem)
    attempts = section.get("attempts", 4)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 10:
        problem(section, "attempts", "delivery.attempts must be a whole number from 1 to 10")
        attempts = 4
    numbers = {}
    for key, default in (("backoff", 1.0), ("max_delay", 30.0), ("timeout", 10.0)):
        raw = section.get(key, default)
        if not isinstance(raw, int | float) or isinstance(raw, bool) or raw <= 0:
            problem(section, key, f"delivery.{key} must be a positive number of seconds")
            raw = default
        numbers[key] = float(raw)
    return DeliveryPolicy(attempts, numbers["backoff"], numbers["max_delay"], numbers["timeout"])


def _rule_selection(doc: LineDict, problem: Problem) -> RuleSelection:
    section = _section(doc, "rules", problem)
    if section is None:
        return RuleSelection()
    _unknown(section, {"builtin", "paths", "only", "exclude", "min_severity"}, "rules", problem)
    builtin = section.get("builtin", True)
    if not isinstance(builtin, bool):
        problem(section, "builtin", "rules.builtin must be true or false")
        builtin = True
    minimum = section.get("min_severity")
    return RuleSelection(
        builtin=builtin,
        paths=_strings(section, "paths", problem),
        only=_strings(section, "only", problem),
        exclude=_strings(section, "exclude", problem),
        min_severity=_severity(section, "min_severity", minimum, problem) if minimum else None,
    )


def _watch(doc: LineDict, problem: Problem) -> WatchSettings:
    section = _section(doc, "watch", problem)
    if section is None:
        return WatchSettings()
    _unknown(section, {"regions", "s3", "interval", "lookback", "overlap"}, "watch", problem)
    s3 = section.get("s3")
    if s3 is not None and (not isinstance(s3, str) or not s3.startswith("s3://")):
        problem(section, "s3", "watch.s3 must be an s3://bucket/prefix URL")
        s3 = None
    return WatchSettings(
        regions=_strings(section, "regions", problem),
        s3=s3,
        interval=_duration(section, "interval", 60, problem),
        lookback=_duration(section, "lookback", 900, problem),
        overlap=_duration(section, "overlap", 900, problem),
    )


def _templates(
    doc: LineDict, key: str, problem: Problem, *, allow_star: bool = False
) -> dict[str, Template]:
    section = _section(doc, key, problem)
    found: dict[str, Template] = {}
    for rule_id, value in (section or {}).items():
        if rule_id == "*" and not allow_star:
            problem(section, rule_id, "'*' templates belong to a destination")
            continue
        if not isinstance(value, LineDict):
            problem(section, rule_id, f"template {rule_id!r} must be a mapping (title:, summary:)")
            continue
        _unknown(value, set(TEMPLATE_KEYS), "template", problem)
        texts: dict[str, str | None] = {}
        for part in TEMPLATE_KEYS:
            text = value.get(part)
            if text is not None and not isinstance(text, str):
                problem(value, part, f"template {part} must be a string")
                text = None
            if text is not None:
                for message in template_problems(text):
                    problem(value, part, message)
            texts[part] = text
        found[rule_id] = Template(texts["title"], texts["summary"])
    return found


def template_problems(text: str) -> list[str]:
    """What is wrong with a template's placeholders (empty when nothing is)."""
    found: list[str] = []
    if text.count("{") != text.count("}"):
        found.append("unbalanced { } in template")
    for name in _PLACEHOLDER.findall(text):
        if not _NAME.match(name):
            found.append(f"{{{name}}} is not a placeholder name")
        elif "." not in name and name not in TEMPLATE_FIELDS:
            known = ", ".join(sorted(TEMPLATE_FIELDS))
            found.append(f"unknown placeholder {{{name}}}; use one of {known}, or a record path")
    return found


def _strings(
    container: LineDict, key: str, problem: Problem, *, accounts: bool = False
) -> tuple[str, ...]:
    value = container.get(key)
    if value is None:
        return ()
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        problem(container, key, f"{key!r} must be a list of strings")
        return ()
    items = plain(value)
    if accounts:
        items = [str(item) if isinstance(item, int) else item for item in items]
    if not all(isinstance(item, str) for item in items):
        problem(container, key, f"{key!r} must be a list of strings")
        return ()
    if accounts:
        for item in items:
            if not re.fullmatch(r"\d{12}", item):
                problem(container, key, f"{item!r} is not a 12-digit account id (quote it)")
    return tuple(items)


def _severity(container: LineDict, key: str, text: object, problem: Problem) -> Severity | None:
    try:
        return Severity.parse(str(text))
    except ValueError as error:
        problem(container, key, str(error))
        return None


def _duration(section: LineDict, key: str, default: int, problem: Problem) -> int:
    if key not in section:
        return default
    try:
        return parse_duration(section[key])
    except ValueError as error:
        problem(section, key, f"{key}: {error}")
        return default

"""The configuration model: what ``trailguard.yaml`` says once it has been checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from trailguard.errors import Location
from trailguard.rules.model import Rule, Severity

SECRET_SCHEMES = ("env", "ssm", "secretsmanager")


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: ``env:NAME``, ``ssm:/param/name`` or ``secretsmanager:name[#key]``.

    The configuration file holds only the reference; the value is read when it is first needed
    and never written anywhere.
    """

    scheme: str
    name: str
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.scheme}:{self.name}" + (f"#{self.key}" if self.key else "")

    @classmethod
    def parse(cls, text: str) -> SecretRef | None:
        """The reference written in ``text``, or None when it is not one."""
        scheme, colon, rest = text.partition(":")
        if not colon or scheme not in SECRET_SCHEMES or not rest:
            return None
        if scheme == "secretsmanager" and "#" in rest:
            name, _, key = rest.partition("#")
            return cls(scheme, name, key or None)
        return cls(scheme, rest)


@dataclass(frozen=True)
class Template:
    """Message text overrides; ``{name}`` placeholders (see ``notify.message.TEMPLATE_FIELDS``)."""

    title: str | None = None
    summary: str | None = None

    def merged_over(self, other: Template | None) -> Template:
        """This template, with ``other`` filling what this one leaves unset."""
        if other is None:
            return self
        return Template(self.title or other.title, self.summary or other.summary)


@dataclass(frozen=True)
class Destination:
    """One place alerts go: a type (``slack``, ``teams`` ...) and its checked options."""

    name: str
    type: str
    options: Mapping[str, Any]
    templates: Mapping[str, Template] = field(default_factory=dict)
    location: Location | None = None

    def template_for(self, rule_id: str) -> Template | None:
        """The destination's template for a rule (``*`` applies to every rule)."""
        found = self.templates.get(rule_id)
        fallback = self.templates.get("*")
        return found.merged_over(fallback) if found else fallback


@dataclass(frozen=True)
class Target:
    """A destination as a route names it, optionally with a Slack channel."""

    destination: str
    channel: str | None = None

    @property
    def id(self) -> str:
        """The name deliveries are recorded under: ``name`` or ``name:#channel``."""
        return f"{self.destination}:{self.channel}" if self.channel else self.destination

    @classmethod
    def parse(cls, text: str) -> Target:
        """The target a delivery was recorded under (the inverse of ``id``)."""
        name, _, channel = text.partition(":")
        return cls(name, channel or None)


@dataclass(frozen=True)
class RouteMatch:
    """Which alerts a route takes; every given criterion must hold, and empty means any."""

    rules: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    severities: frozenset[Severity] = frozenset()
    min_severity: Severity | None = None
    accounts: tuple[str, ...] = ()

    def matches(self, rule_id: str, severity: Severity, account: str, rule: Rule | None) -> bool:
        """Whether an alert of ``rule_id`` at ``severity`` in ``account`` is taken."""
        if self.rules and not any(fnmatchcase(rule_id, wanted) for wanted in self.rules):
            return False
        if self.tags and (rule is None or not any(rule.has_tag(tag) for tag in self.tags)):
            return False
        if self.severities and severity not in self.severities:
            return False
        if self.min_severity is not None and severity < self.min_severity:
            return False
        return not self.accounts or account in self.accounts


@dataclass(frozen=True)
class Route:
    """Alerts that match go to every target listed."""

    match: RouteMatch
    targets: tuple[Target, ...]
    name: str = ""
    location: Location | None = None


@dataclass(frozen=True)
class Suppression:
    """Alerts that must not be sent; every given criterion must hold for an alert to be dropped."""

    reason: str
    principals: tuple[str, ...] = ()
    event_names: tuple[str, ...] = ()
    source_ips: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    rules: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    expires: datetime | None = None
    location: Location | None = None

    def active(self, now: datetime) -> bool:
        """Whether the suppression still applies at ``now``."""
        return self.expires is None or now < self.expires

    def covers(
        self, *, rule_id: str, principal_arn: str, event_name: str, source_ip: str, account: str
    ) -> bool:
        """Whether an alert with these facts is suppressed (expiry is checked by ``active``)."""
        if self.rules and not any(fnmatchcase(rule_id, wanted) for wanted in self.rules):
            return False
        if self.principals and not any(fnmatchcase(principal_arn, p) for p in self.principals):
            return False
        if self.event_names and event_name not in self.event_names:
            return False
        if self.accounts and account not in self.accounts:
            return False
        return not self.source_ips or _in_networks(source_ip, self.source_ips)


def _in_networks(
    text: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False  # "AWS Internal" and service names are not addresses
    return any(address in network for network in networks)


@dataclass(frozen=True)
class Throttle:
    """First alert at once; repeats of (rule, principal, eventName) within ``window`` digested."""

    window: int = 900
    enabled: bool = True


@dataclass(frozen=True)
class Accounts:
    """Account aliases given in the file, and where to look up the others."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    lookup: tuple[str, ...] = ()
    cache_ttl: int = 86400


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try one delivery: attempts, exponential backoff and its cap, HTTP timeout."""

    attempts: int = 4
    backoff: float = 1.0
    max_delay: float = 30.0
    timeout: float = 10.0


@dataclass(frozen=True)
class RuleSelection:
    """Which rules the Lambda handler and ``watch`` run (``scan`` takes them from its options)."""

    builtin: bool = True
    paths: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    min_severity: Severity | None = None


@dataclass(frozen=True)
class WatchSettings:
    """What ``trailguard watch`` polls when no option says otherwise."""

    regions: tuple[str, ...] = ()
    s3: str | None = None
    interval: int = 60
    lookback: int = 900
    overlap: int = 900


@dataclass(frozen=True)
class Config:
    """A checked ``trailguard.yaml``."""

    time_zone: str = "UTC"
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    throttle: Throttle = field(default_factory=Throttle)
    accounts: Accounts = field(default_factory=Accounts)
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    rules: RuleSelection = field(default_factory=RuleSelection)
    templates: Mapping[str, Template] = field(default_factory=dict)
    watch: WatchSettings = field(default_factory=WatchSettings)
    source: str = "<defaults>"

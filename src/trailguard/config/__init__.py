"""``trailguard.yaml``: destinations, routes, suppressions, throttling, time zone and accounts."""

from __future__ import annotations

from trailguard.config.clients import Boto3Clients, ClientFactory
from trailguard.config.loader import (
    DESTINATION_OPTIONS,
    TEMPLATE_FIELDS,
    InvalidConfig,
    config_from_text,
    load_config,
    parse_config,
)
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
from trailguard.config.secrets import SecretResolver

__all__ = [
    "DESTINATION_OPTIONS",
    "TEMPLATE_FIELDS",
    "Accounts",
    "Boto3Clients",
    "ClientFactory",
    "Config",
    "DeliveryPolicy",
    "Destination",
    "InvalidConfig",
    "Route",
    "RouteMatch",
    "RuleSelection",
    "SecretRef",
    "SecretResolver",
    "Suppression",
    "Target",
    "Template",
    "Throttle",
    "WatchSettings",
    "config_from_text",
    "load_config",
    "parse_config",
]

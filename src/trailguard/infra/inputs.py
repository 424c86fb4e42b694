"""What deploy reads locally: settings, rules, and the handler's configuration, package, secrets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailguard.errors import ConfigError
from trailguard.infra.desired import HandlerInputs, realtime_rules
from trailguard.infra.package import LambdaPackage, package_for
from trailguard.infra.settings import DeploySettings, read_deploy_file
from trailguard.rules._yaml import load_yaml, plain
from trailguard.rules.model import Rule


@dataclass(frozen=True)
class DeployInputs:
    """The deploy settings, the rules the handler runs, and what the handler is given."""

    settings: DeploySettings
    rules: tuple[Rule, ...]
    handler: HandlerInputs


def load_inputs(
    path: str | Path,
    environ: Mapping[str, str] | None = None,
    package: LambdaPackage | None = None,
) -> DeployInputs:
    """Read trailguard.yaml and everything it points to; raises ConfigError with every problem.

    The rules are those the configuration's ``rules:`` section selects, which is what the
    handler runs. ``package`` replaces the one built from the installed trailguard.
    """
    from trailguard.alerting.runtime import select_rules  # noqa: PLC0415 - heavy; deploy only
    from trailguard.config import config_from_text  # noqa: PLC0415

    deploy_file = read_deploy_file(path)
    settings = deploy_file.settings
    config = config_from_text(deploy_file.config_text, str(path))
    rules = select_rules(config.rules, Path(path).resolve().parent)
    if package is None and realtime_rules(settings, rules):
        realtime = settings.realtime
        package = package_for(realtime.runtime, realtime.architecture, realtime.dependencies)
    handler = HandlerInputs(
        config_text=deploy_file.config_text,
        config=config_mapping(deploy_file.config_text),
        package=package,
        secrets=secret_values(settings, os.environ if environ is None else environ),
    )
    return DeployInputs(settings, tuple(rules), handler)


def secret_values(settings: DeploySettings, environ: Mapping[str, str]) -> dict[str, str]:
    """The value of each ``deploy.secrets`` parameter, from its environment variable."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for name, reference in settings.secrets.items():
        variable = reference.removeprefix("env:")
        if variable in environ:
            found[name] = environ[variable]
        else:
            missing.append(f"{name} needs ${variable}")
    if missing:
        raise ConfigError("secrets not in the environment: " + "; ".join(missing))
    return found


def config_mapping(text: str) -> dict[str, Any]:
    """The alerting configuration text as plain dicts and lists."""
    document = load_yaml(text)
    return plain(document) if isinstance(document, dict) else {}

"""Everything a long-lived alerting process needs, built once from settings and configuration.

The Lambda handler and ``trailguard watch`` compose a ``Runtime``: the configuration, the rules
it selects, the state (DynamoDB, SQLite or memory), AWS clients and the senders.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trailguard.alerting.deliver import Sleep
from trailguard.alerting.pipeline import Clock, Pipeline, Report, utc_now
from trailguard.alerting.state import MemoryState, NotifyState
from trailguard.alerts import Alert
from trailguard.config.clients import Boto3Clients, ClientFactory
from trailguard.config.loader import InvalidConfig, config_from_text, load_config
from trailguard.config.model import Config, RuleSelection
from trailguard.config.secrets import SecretResolver
from trailguard.detect import RuleSet, detect
from trailguard.errors import ConfigError, TrailguardError
from trailguard.notify._http import Post, SmtpSend, post, send_smtp
from trailguard.notify.senders import LazySenders, SenderKit
from trailguard.rules.loader import load_rules, pack_directory
from trailguard.rules.model import Rule, selects

DEFAULT_CONFIG = "trailguard.yaml"


class DeliveryIncomplete(TrailguardError):
    """Some alerts could not be delivered; raised so that Lambda retries the event."""

    def __init__(self, report: Report) -> None:
        failed = report.deliveries.failed
        busy = report.deliveries.busy
        parts = [f"{key}: {detail}" for key, detail in failed[:10]]
        parts += [f"{key}: still being delivered by another invocation" for key in busy[:10]]
        super().__init__(
            f"{len(failed)} deliveries failed, {len(busy)} in progress elsewhere: "
            + "; ".join(parts)
        )
        self.report = report


@dataclass(frozen=True)
class Settings:
    """Where the configuration and the state are: ``TRAILGUARD_CONFIG``, ``TRAILGUARD_TABLE``."""

    config: str = DEFAULT_CONFIG
    table: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in the environment (defaults: ./trailguard.yaml, state in memory)."""
        env = os.environ if environ is None else environ
        return cls(
            config=env.get("TRAILGUARD_CONFIG") or DEFAULT_CONFIG,
            table=env.get("TRAILGUARD_TABLE") or None,
        )


def read_config(reference: str, clients: ClientFactory | None = None) -> Config:
    """A configuration from a file path or an SSM parameter (``ssm:/name``, ``/name``, ARN).

    A name that exists as a file is a file; otherwise ``/...`` and ``arn:...`` are SSM
    parameters (String or SecureString).
    """
    name: str | None = None
    if reference.startswith("ssm:"):
        name = reference.removeprefix("ssm:")
    elif not Path(reference).exists() and reference.startswith(("/", "arn:")):
        name = reference
    if name is None:
        return load_config(reference)
    if clients is None:
        raise ConfigError(f"reading the configuration from SSM ({name}) needs AWS clients")
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        response = clients("ssm", None).get_parameter(Name=name, WithDecryption=True)
    except (ClientError, BotoCoreError) as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise ConfigError(f"cannot read the configuration parameter {name}: {code}") from None
    return config_from_text(str(response["Parameter"]["Value"]), f"ssm:{name}")


def select_rules(selection: RuleSelection, base: Path | None = None) -> list[Rule]:
    """The rules a configuration selects; rule file problems raise InvalidConfig (all of them)."""
    paths: list[str | Path] = [pack_directory()] if selection.builtin else []
    for path in selection.paths:
        candidate = Path(path)
        paths.append(candidate if candidate.is_absolute() or base is None else base / candidate)
    if not paths:
        raise ConfigError("no rules: rules.builtin is false and rules.paths is empty")
    # Examples are checked by `trailguard rules test` and CI; a cold start skips them.
    rules, problems = load_rules(paths, check_examples=False)
    if problems:
        raise InvalidConfig(problems.problems)
    chosen = [
        rule
        for rule in rules
        if (not selection.only or selects(rule, selection.only))
        and not selects(rule, selection.exclude)
        and (selection.min_severity is None or rule.severity >= selection.min_severity)
    ]
    if not chosen:
        raise ConfigError("no rule is left after rules.only / rules.exclude / rules.min_severity")
    return chosen


class Runtime:
    """Configuration, rules, state, clients and senders, for many runs of the pipeline."""

    def __init__(  # noqa: PLR0913 - the collaborators are keyword-only
        self,
        config: Config,
        *,
        rules: Iterable[Rule],
        state: NotifyState,
        clients: ClientFactory | None = None,
        post: Post = post,
        smtp_send: SmtpSend = send_smtp,
        environ: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.rules = {rule.id: rule for rule in rules}
        self.rule_set = RuleSet(list(self.rules.values()))
        self.state = state
        self.clients = clients
        kit = SenderKit(
            SecretResolver(clients, environ),
            clients,
            post=post,
            smtp_send=smtp_send,
            timeout=config.delivery.timeout,
        )
        self.senders = LazySenders(config, kit)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clients: ClientFactory | None = None, **options: Any
    ) -> Runtime:
        """Read the configuration, load its rules and open the state the settings name."""
        clients = clients or Boto3Clients()
        config = read_config(settings.config, clients)
        base = Path(config.source).parent if not config.source.startswith("ssm:") else None
        state: NotifyState = MemoryState()
        if settings.table:
            from trailguard.store.dynamodb import DynamoDBState  # noqa: PLC0415

            state = DynamoDBState(settings.table, clients("dynamodb", None))
        return cls(
            config, rules=select_rules(config.rules, base), state=state, clients=clients, **options
        )

    def pipeline(self) -> Pipeline:
        """A fresh pipeline (its report counts one run)."""
        return Pipeline(
            self.config,
            rules=self.rules,
            senders=self.senders,
            state=self.state,
            clock=self.clock,
            sleep=self.sleep,
            clients=self.clients,
        )

    def detect(self, events: Iterable[Mapping[str, Any]]) -> Iterator[Alert]:
        """The alerts the rules raise for ``events``."""
        return detect(self.rule_set, events)

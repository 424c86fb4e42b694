"""Senders built from configured destinations: one factory per destination type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trailguard.config.clients import ClientFactory
from trailguard.config.model import Config, Destination, SecretRef
from trailguard.config.secrets import SecretResolver
from trailguard.notify._http import Post, SmtpSend, SmtpSettings, post, send_smtp
from trailguard.notify.delivery import Secret, Sender


@dataclass(frozen=True)
class SenderKit:
    """What senders are built with: secrets, AWS clients and the two network seams."""

    secrets: SecretResolver
    clients: ClientFactory | None = None
    post: Post = post
    smtp_send: SmtpSend = send_smtp
    timeout: float = 10.0

    def secret(self, value: SecretRef | str) -> Secret:
        """A reader of ``value`` that resolves it on first use."""
        return lambda: self.secrets.resolve(value)

    def client(self, service: str, region: str | None) -> Any:
        """An AWS client; raises ConfigError without a client factory."""
        if self.clients is None:
            from trailguard.errors import ConfigError  # noqa: PLC0415

            raise ConfigError(f"sending with {service} needs AWS clients")
        return self.clients(service, region)


# Each factory imports its destination's module when the first sender of that type is built.


def _slack(destination: Destination, kit: SenderKit) -> Sender:
    from trailguard.notify.slack import SlackBot, SlackWebhook  # noqa: PLC0415

    options = destination.options
    if "webhook_url" in options:
        return SlackWebhook(kit.secret(options["webhook_url"]), post=kit.post, timeout=kit.timeout)
    return SlackBot(
        kit.secret(options["token"]),
        channel=options.get("channel"),
        post=kit.post,
        api_url=options.get("api_url", "https://slack.com/api"),
        timeout=kit.timeout,
    )


def _teams(destination: Destination, kit: SenderKit) -> Sender:
    from trailguard.notify.teams import TeamsWorkflow  # noqa: PLC0415

    return TeamsWorkflow(kit.secret(destination.options["url"]), post=kit.post, timeout=kit.timeout)


def _webhook(destination: Destination, kit: SenderKit) -> Sender:
    from trailguard.notify.webhook import Webhook  # noqa: PLC0415

    options = destination.options
    return Webhook(
        kit.secret(options["url"]),
        post=kit.post,
        secret=kit.secret(options["secret"]) if "secret" in options else None,
        signature_header=options.get("signature_header", "X-Trailguard-Signature-256"),
        headers={name: kit.secret(value) for name, value in options.get("headers", {}).items()},
        include_record=options.get("include_record", True),
        timeout=kit.timeout,
    )


def _email(destination: Destination, kit: SenderKit) -> Sender:
    from trailguard.notify.email import SmtpEmail  # noqa: PLC0415

    options = destination.options
    settings = SmtpSettings(
        host=options["host"],
        port=options.get("port", 587),
        tls=options.get("tls", "starttls"),
        username=options.get("username"),
        timeout=kit.timeout,
        ca_file=options.get("ca_file"),
    )
    return SmtpEmail(
        settings,
        sender=options["from"],
        recipients=options["to"],
        send=kit.smtp_send,
        password=kit.secret(options["password"]) if "password" in options else None,
        prefix=options.get("subject_prefix", "[trailguard]"),
    )


def _ses(destination: Destination, kit: SenderKit) -> Sender:
    from trailguard.notify.email import SesEmail  # noqa: PLC0415

    options = destination.options
    return SesEmail(
        kit.client("ses", options.get("region")),
        sender=options["from"],
        recipients=options["to"],
        configuration_set=options.get("configuration_set"),
        prefix=options.get("subject_prefix", "[trailguard]"),
    )


def _sns(destination: Destination, kit: SenderKit) -> Sender:
    from trailguard.notify.sns import SnsTopic  # noqa: PLC0415

    options = destination.options
    arn = options["topic_arn"]
    region = options.get("region") or (arn.split(":")[3] if arn.count(":") >= 5 else None)
    return SnsTopic(
        kit.client("sns", region),
        topic_arn=arn,
        fmt=options.get("format", "text"),
        prefix=options.get("subject_prefix", "[trailguard]"),
    )


SENDER_FACTORIES: Mapping[str, Callable[[Destination, SenderKit], Sender]] = {
    "slack": _slack,
    "teams": _teams,
    "webhook": _webhook,
    "email": _email,
    "ses": _ses,
    "sns": _sns,
}
"""Destination type -> the function that builds its sender."""


class LazySenders(Mapping[str, Sender]):
    """Senders by destination name, each built on first use (so unused ones need no client)."""

    def __init__(self, config: Config, kit: SenderKit) -> None:
        self._destinations = config.destinations
        self._kit = kit
        self._built: dict[str, Sender] = {}

    def __getitem__(self, name: str) -> Sender:
        sender = self._built.get(name)
        if sender is None:
            destination = self._destinations[name]
            sender = SENDER_FACTORIES[destination.type](destination, self._kit)
            self._built[name] = sender
        return sender

    def __iter__(self) -> Any:
        return iter(self._destinations)

    def __len__(self) -> int:
        return len(self._destinations)

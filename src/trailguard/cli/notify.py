"""``trailguard notify``: check the configuration and send a test alert.

Also the helpers of the commands that deliver: ``scan --notify``, ``alerts redeliver``, ``watch``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from trailguard.alerting import MemoryState, NotifyState, Pipeline, Report, utc_now
from trailguard.alerting.notice import Notice
from trailguard.alerting.runtime import DEFAULT_CONFIG, Runtime, read_config
from trailguard.alerts import Alert
from trailguard.config import Boto3Clients, Config, InvalidConfig, Target
from trailguard.errors import ConfigError
from trailguard.notify import sample_alert
from trailguard.rules import Rule
from trailguard.store import default_database_path
from trailguard.store.deliveries import DeliveryStore

F = TypeVar("F", bound=Callable[..., Any])
EXIT_UNDELIVERED = 4


def config_option(function: F) -> F:
    """Add ``--config`` (default ``$TRAILGUARD_CONFIG``, else ./trailguard.yaml)."""
    return click.option(
        "--config",
        "config_path",
        metavar="PATH|ssm:/NAME",
        help="The configuration: a file or an SSM parameter "
        "(default $TRAILGUARD_CONFIG, else ./trailguard.yaml).",
    )(function)


def load_config_or_exit(path: str | None, clients: Boto3Clients | None = None) -> Config:
    """Read the configuration; print every problem (file:line) and exit 2 if there are any."""
    reference = path or os.environ.get("TRAILGUARD_CONFIG") or DEFAULT_CONFIG
    if reference == DEFAULT_CONFIG and not Path(reference).exists():
        raise ConfigError(
            f"no configuration at {reference}; write one (see examples/trailguard.yaml) "
            "or give --config"
        )
    try:
        return read_config(reference, clients or Boto3Clients())
    except InvalidConfig as error:
        for problem in error.problems:
            click.echo(f"trailguard: error: {problem}", err=True)
        raise click.exceptions.Exit(2) from None


def open_state(db: str | None, no_store: bool = False) -> NotifyState:
    """The delivery state: the SQLite store (the alert store's file), or memory."""
    if no_store:
        return MemoryState()
    return DeliveryStore(db or default_database_path())


def close_state(state: NotifyState) -> None:
    """Close the state if it holds a database."""
    if isinstance(state, DeliveryStore):
        state.close()


def print_report(report: Report, *, what: str = "notifications") -> None:
    """One summary line on stderr, then each failure."""
    counts = report.summary()
    click.echo(
        f"{what}: {counts['delivered']} delivered, {counts['already_delivered']} already sent, "
        f"{counts['failed']} failed, {counts['held_for_digest']} held for digests "
        f"({counts['digests']} digests), {counts['suppressed']} suppressed, "
        f"{counts['unrouted']} unrouted",
        err=True,
    )
    for key, detail in report.deliveries.failed:
        click.echo(f"trailguard: delivery failed: {key}: {detail}", err=True)
    if report.deliveries.failed:
        click.echo(
            "trailguard: failed deliveries are kept; see `trailguard alerts list --undelivered` "
            "and retry with `trailguard alerts redeliver`",
            err=True,
        )


class ScanNotifier:
    """Sends a scan's alerts through the configured routes as they are found."""

    def __init__(self, config_path: str | None, rules: Sequence[Rule], state: NotifyState) -> None:
        clients = Boto3Clients()
        config = load_config_or_exit(config_path, clients)
        self.state = state
        self.runtime = Runtime(config, rules=rules, state=state, clients=clients)
        self.pipeline: Pipeline = self.runtime.pipeline()

    def __call__(self, alert: Alert) -> None:
        """Send one alert (or hold it for a digest)."""
        self.pipeline.submit(alert)

    def finish(self) -> Report:
        """Send every digest still open, and close the state."""
        try:
            self.pipeline.flush(everything=True)
        finally:
            close_state(self.state)
        return self.pipeline.report


UNDELIVERED_COLUMNS = (
    "updated",
    "status",
    "rule",
    "eventID",
    "destination",
    "attempts",
    "detail",
)


def undelivered_rows(db: str | None, rules: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The failed and pending deliveries of the store, as rows."""
    with DeliveryStore(db or default_database_path()) as state:
        records = state.undelivered(rules=rules)
    return [
        {
            "updated": record.updated_at[:19],
            "status": record.status,
            "rule": record.key.rule_id,
            "eventID": record.key.event_id,
            "destination": record.key.target,
            "attempts": record.attempts,
            "detail": record.detail,
        }
        for record in records
    ]


def redeliver(
    config_path: str | None,
    db: str | None,
    rules: Iterable[str] = (),
    destinations: Iterable[str] = (),
) -> Report:
    """Send the stored undelivered deliveries again."""
    clients = Boto3Clients()
    config = load_config_or_exit(config_path, clients)
    with DeliveryStore(db or default_database_path()) as state:
        records = state.undelivered(rules=rules, destinations=destinations)
        runtime = Runtime(config, rules=[], state=state, clients=clients)
        return runtime.pipeline().redeliver(records)


@click.group("notify")
def notify_group() -> None:
    """Notifications: check the configuration and send a test alert."""


@notify_group.command("test")
@click.argument("destination")
@config_option
@click.option("--channel", help="For a Slack bot destination: post to this channel.")
def test_command(destination: str, config_path: str | None, channel: str | None) -> None:
    """Send a sample alert (a root console sign-in) to DESTINATION as configured.

    The message goes through the same renderer, secrets, retries and limits as real alerts;
    nothing is recorded in the store.

    \b
    Example:
      trailguard notify test security-slack --config trailguard.yaml
    """
    clients = Boto3Clients()
    config = load_config_or_exit(config_path, clients)
    if destination not in config.destinations:
        known = ", ".join(sorted(config.destinations)) or "none"
        raise ConfigError(f"no destination {destination!r} in {config.source} (known: {known})")
    runtime = Runtime(config, rules=[], state=MemoryState(), clients=clients)
    pipeline = runtime.pipeline()
    target = Target(destination, channel)
    pipeline.deliverer.deliver_to(Notice(sample_alert(), targets=(target,)), target)
    report = pipeline.report.deliveries
    if report.failed:
        for _, detail in report.failed:
            click.echo(f"trailguard: error: {destination}: {detail}", err=True)
        raise click.exceptions.Exit(1)
    key = report.delivered[0]
    attempts = runtime.state.attempts(key)
    reference = attempts[-1].detail if attempts else ""
    click.echo(
        f"sent a test alert to {target.id} ({config.destinations[destination].type}): {reference}"
    )


@notify_group.command("check")
@config_option
def check_command(config_path: str | None) -> None:
    """Check the configuration: print every problem with its file and line, or a summary.

    Secrets are not read; `notify test` does that.
    """
    config = load_config_or_exit(config_path)
    now = utc_now()
    expired = [s for s in config.suppressions if s.expires and not s.active(now)]
    click.echo(
        f"{config.source}: {len(config.destinations)} destinations, {len(config.routes)} routes, "
        f"{len(config.suppressions)} suppressions ({len(expired)} expired), "
        f"time zone {config.time_zone}"
    )
    for suppression in expired:
        click.echo(f"  expired: {suppression.location}: {suppression.reason}")

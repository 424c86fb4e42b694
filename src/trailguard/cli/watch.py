"""``trailguard watch``: poll LookupEvents or an S3 prefix, run the rules, notify."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from trailguard.alerting.runtime import Runtime, select_rules
from trailguard.cli.notify import config_option, load_config_or_exit
from trailguard.config import Boto3Clients
from trailguard.errors import ConfigError, InputError
from trailguard.rules import parse_duration
from trailguard.store import default_database_path
from trailguard.store.deliveries import DeliveryStore
from trailguard.watch import Cycle, Poller, S3Poller, StopSignal, Watcher, lookup_pollers


def _seconds(text: str | None, default: int, option: str) -> int:
    if text is None:
        return default
    try:
        return parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


@click.command("watch")
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Poll LookupEvents in this region (repeatable; default: the configuration's "
    "watch.regions, else the session's region and us-east-1).",
)
@click.option("--s3", "s3_url", metavar="s3://BUCKET/PREFIX", help="Poll new trail log files here.")
@click.option("--interval", help="Time between polls (default watch.interval, 60s).")
@click.option("--lookback", help="How far back the first poll reads (default watch.lookback, 15m).")
@click.option(
    "--overlap",
    help="How far back each poll re-reads for late events (default watch.overlap, 15m).",
)
@click.option(
    "--all-events",
    is_flag=True,
    help="Poll read-only events too (LookupEvents ReadOnly=false is the default filter).",
)
@click.option("--once", is_flag=True, help="Poll once and exit.")
@config_option
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help=f"Store for deliveries and checkpoints (default {default_database_path()}).",
)
def watch_command(
    regions: tuple[str, ...],
    s3_url: str | None,
    interval: str | None,
    lookback: str | None,
    overlap: str | None,
    all_events: bool,
    once: bool,
    config_path: str | None,
    db: str | None,
) -> None:
    """Alert in near real time without Lambda: poll, run the rules, notify.

    Polls CloudTrail LookupEvents in each region (at most 2 requests a second per account and
    region, as AWS allows) or new log files under an S3 prefix. Checkpoints in the store let a
    restart resume without missing or repeating events. Stops cleanly on Ctrl-C or SIGTERM.
    The rules are those of the configuration's `rules:` section.

    \b
    Examples:
      trailguard watch --config trailguard.yaml --region us-east-1 --region eu-west-1
      trailguard watch --s3 s3://my-trail-bucket/AWSLogs/ --interval 2m
    """
    clients = Boto3Clients()
    config = load_config_or_exit(config_path, clients)
    settings = config.watch
    base = None if config.source.startswith("ssm:") else Path(config.source).parent
    state = DeliveryStore(db or default_database_path())
    runtime = Runtime(config, rules=select_rules(config.rules, base), state=state, clients=clients)
    timing = {
        "interval": _seconds(interval, settings.interval, "--interval"),
        "lookback": _seconds(lookback, settings.lookback, "--lookback"),
        "overlap": _seconds(overlap, settings.overlap, "--overlap"),
    }
    pollers: list[Poller] = []
    url = s3_url or settings.s3
    if url:
        pollers.append(
            S3Poller(
                clients("s3", None),
                url,
                state,
                clock=runtime.clock,
                lookback=timing["lookback"],
                overlap=timing["overlap"],
                on_error=_skipped,
            )
        )
    wanted = list(regions or settings.regions)
    if wanted or not url:
        source = _lookup_source(wanted)
        pollers.extend(
            lookup_pollers(
                source,
                state,
                clock=runtime.clock,
                lookback=timing["lookback"],
                overlap=timing["overlap"],
                all_events=all_events,
            )
        )
    stop = StopSignal()
    names = ", ".join(poller.name for poller in pollers)
    click.echo(
        f"watching {names} every {timing['interval']}s with {len(runtime.rules)} rules", err=True
    )
    watcher = Watcher(
        runtime,
        pollers,
        interval=timing["interval"],
        stop=stop,
        on_cycle=_print_cycle,
        on_error=_skipped,
    )
    try:
        with stop.installed():
            watcher.run(max_cycles=1 if once else None)
    finally:
        state.close()
    if stop.reason:
        click.echo(f"stopped ({stop.reason}); checkpoints saved", err=True)


def _lookup_source(regions: list[str]) -> Any:
    import boto3  # noqa: PLC0415 - only here
    from botocore.config import Config  # noqa: PLC0415

    from trailguard.sources.lookup_api import LookupEventsSource, default_regions  # noqa: PLC0415

    session = boto3.session.Session()
    chosen = regions or default_regions(session.region_name)
    try:
        account = session.client("sts").get_caller_identity()["Account"]
    except Exception as error:  # noqa: BLE001 - shown as a configuration problem
        raise ConfigError(f"cannot find the AWS account to watch: {type(error).__name__}") from None
    # Throttling is backed off by the source itself, so botocore must not retry on its own.
    config = Config(retries={"total_max_attempts": 1})
    clients = {
        region: session.client("cloudtrail", region_name=region, config=config) for region in chosen
    }
    return LookupEventsSource(clients.__getitem__, chosen, account=account)


def _print_cycle(cycle: Cycle) -> None:
    counts = cycle.report.summary()
    if not (cycle.records or counts["delivered"] or counts["failed"] or counts["digests"]):
        return
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    click.echo(
        f"{stamp} {cycle.poller}: {cycle.records} events, {cycle.alerts} alerts, "
        f"{counts['delivered']} delivered, {counts['failed']} failed, "
        f"{counts['held_for_digest']} held, {counts['digests']} digests",
        err=True,
    )
    for key, detail in cycle.report.deliveries.failed:
        click.echo(f"trailguard: delivery failed: {key}: {detail}", err=True)


def _skipped(error: InputError) -> None:
    click.echo(f"trailguard: skipped: {error}", err=True)

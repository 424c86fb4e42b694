"""``trailguard deploy plan | apply | destroy``: build the CloudTrail alerting setup in AWS."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import click

from trailguard.cli._output import emit
from trailguard.cli.doctor import session_clients
from trailguard.infra.clients import AwsClients
from trailguard.infra.deploy import Change, apply, destroy, plan, read_facts
from trailguard.infra.desired import DesiredState, desired_state
from trailguard.infra.inputs import DeployInputs, load_inputs
from trailguard.infra.settings import DeploySettings

F = TypeVar("F", bound=Callable[..., Any])
COLUMNS = ("action", "kind", "name", "region", "fields", "note")
SIGNS = {"create": "+", "update": "~", "delete": "-", "retain": "=", "keep": "=", "conflict": "!"}


def deploy_options(function: F) -> F:
    """The options every deploy subcommand takes."""
    options = [
        click.option(
            "--config",
            "-c",
            "config_path",
            type=click.Path(dir_okay=False),
            default="trailguard.yaml",
            show_default=True,
            help="The configuration file with a deploy: section.",
        ),
        click.option(
            "--region",
            "regions",
            multiple=True,
            metavar="REGION",
            help="Cover this region (repeatable); replaces deploy.regions. The home region and "
            "the sign-in regions are always covered.",
        ),
        click.option("--profile", help="The AWS profile to use (default: the credential chain)."),
        click.option(
            "--format",
            "-f",
            "output_format",
            type=click.Choice(("table", "json")),
            default="table",
            show_default=True,
            help="How to print the changes.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group("deploy")
def deploy_group() -> None:
    """Build CloudTrail alerting in AWS: one trail, real-time rules, CIS filters and alarms.

    Reads the deploy: section of trailguard.yaml. `plan` prints what would change, `apply`
    makes it so (a second apply changes nothing), `destroy` removes what is tagged
    managed-by=trailguard and keeps the trail's bucket and log files.
    """


@deploy_group.command("plan")
@deploy_options
def plan_command(
    config_path: str, regions: tuple[str, ...], profile: str | None, output_format: str
) -> None:
    """Print what apply would create, update or delete; change nothing.

    \b
    Example:
      trailguard deploy plan --config trailguard.yaml --profile security
    """
    inputs, clients, desired = _prepare(config_path, regions, profile)
    found = plan(desired, clients, inputs.settings)
    _notes(desired)
    _print(list(found.changes), output_format)
    conflicts = len(found.conflicts)
    click.echo(
        f"trailguard: {len(found.changes)} changes"
        + (f", {conflicts} conflicts (apply would stop)" if conflicts else ""),
        err=True,
    )


@deploy_group.command("apply")
@deploy_options
def apply_command(
    config_path: str, regions: tuple[str, ...], profile: str | None, output_format: str
) -> None:
    """Create and update what the plan shows; safe to run again, also after a failure.

    \b
    Example:
      SLACK_WEBHOOK_URL=https://hooks.slack.com/... trailguard deploy apply
    """
    inputs, clients, desired = _prepare(config_path, regions, profile)
    _notes(desired)
    done = apply(desired, clients, inputs.settings, on_change=_progress)
    _print(done, output_format)
    click.echo(f"trailguard: {len(done) or 'nothing'} changed", err=True)


@deploy_group.command("destroy")
@deploy_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def destroy_command(
    config_path: str, regions: tuple[str, ...], profile: str | None, output_format: str, yes: bool
) -> None:
    """Remove what deploy made (tagged managed-by=trailguard); keep the bucket and its logs.

    \b
    Example:
      trailguard deploy destroy --yes
    """
    inputs, clients, desired = _prepare(config_path, regions, profile)
    if not yes:
        click.confirm(
            f"Remove trailguard's resources in account {desired.account}?", abort=True, err=True
        )
    done = destroy(desired, clients, inputs.settings, on_change=_progress)
    _print(done, output_format)
    click.echo(f"trailguard: {len(done) or 'nothing'} changed", err=True)


def _prepare(
    config_path: str, regions: tuple[str, ...], profile: str | None
) -> tuple[DeployInputs, AwsClients, DesiredState]:
    inputs = load_inputs(config_path)
    settings: DeploySettings = inputs.settings
    if regions:
        settings = dataclasses.replace(settings, regions=regions)
        inputs = dataclasses.replace(inputs, settings=settings)
    clients = session_clients(profile, settings.home_region)
    facts = read_facts(clients, settings)
    return inputs, clients, desired_state(settings, inputs.rules, facts, inputs.handler)


def _notes(desired: DesiredState) -> None:
    click.echo(f"trailguard: covering {', '.join(desired.regions)}", err=True)
    for note in desired.notes:
        click.echo(f"trailguard: note: {note}", err=True)


def _progress(change: Change) -> None:
    click.echo(f"{SIGNS.get(change.action, '?')} {_line(change)}", err=True)


def _line(change: Change) -> str:
    fields = f" ({', '.join(change.fields)})" if change.fields else ""
    return f"{change.action} {change.kind} {change.name} in {change.region}{fields}"


def _print(changes: list[Change], output_format: str) -> None:
    rows = []
    for change in changes:
        row = change.to_dict()
        row["fields"] = ", ".join(change.fields)
        rows.append(row)
    emit(rows, output_format, columns=COLUMNS, full_rows=[c.to_dict() for c in changes])

"""The ``trailguard`` command line: parses options, calls the library, prints.

Exit codes: 0 success (or a match), 1 nothing matched / a finding, 2 bad input or usage.
Every error the library raises on purpose is printed as one line on stderr, never a traceback.
"""

from __future__ import annotations

from typing import Any

import click

from trailguard.errors import TrailguardError

EXIT_NO_MATCH = 1
EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """A click group that turns TrailguardError into a message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrailguardError as error:
            click.echo(f"trailguard: error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trailguard")
def main() -> None:
    """Turn AWS CloudTrail into security alerts and answers.

    \b
    Alerts:         scan, alerts, rules, notify, watch
    Investigation:  search
    AWS side:       deploy, doctor
    Exact engines:  pattern (EventBridge), filter and alarm (CloudWatch Logs, CloudWatch)
    """


# The commands are defined in their own modules, which need `main` to exist first.
from trailguard.cli.alarm import alarm_group  # noqa: E402
from trailguard.cli.alerts import alerts_group  # noqa: E402
from trailguard.cli.deploy import deploy_group  # noqa: E402
from trailguard.cli.doctor import doctor_command  # noqa: E402
from trailguard.cli.filter import filter_group  # noqa: E402
from trailguard.cli.notify import notify_group  # noqa: E402
from trailguard.cli.pattern import pattern  # noqa: E402
from trailguard.cli.rules import rules_group  # noqa: E402
from trailguard.cli.scan import scan_command  # noqa: E402
from trailguard.cli.search import search_command  # noqa: E402
from trailguard.cli.watch import watch_command  # noqa: E402

for _command in (
    scan_command,
    search_command,
    rules_group,
    alerts_group,
    pattern,
    filter_group,
    alarm_group,
    notify_group,
    watch_command,
    deploy_group,
    doctor_command,
):
    main.add_command(_command)

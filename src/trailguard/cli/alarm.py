"""``trailguard alarm``: replay CloudTrail through a metric filter and a CloudWatch alarm."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import click
import orjson

from trailguard.cli._inputs import InputReport, iter_input_events, pattern_text
from trailguard.errors import ConfigError, Location
from trailguard.events import CloudTrailEvent, from_envelope
from trailguard.metrics import COMPARISON_OPERATORS, TREAT_MISSING_DATA, Alarm, MetricFilter, replay
from trailguard.patterns.logs_filter import compile_filter

EXIT_NEVER_ALARMED = 1


@click.group("alarm")
def alarm_group() -> None:
    """CloudWatch alarms on CloudWatch Logs metric filters, evaluated offline."""


@alarm_group.command("replay")
@click.argument("sources", nargs=-1, metavar="[SOURCE]...")
@click.option(
    "--filter",
    "filter_arg",
    required=True,
    metavar="PATTERN",
    help="The metric filter's pattern (text or file).",
)
@click.option(
    "--value", default="1", show_default=True, help="metricValue: a number, $.field or $name."
)
@click.option(
    "--default",
    "default_value",
    type=float,
    help="defaultValue, emitted for events that do not match.",
)
@click.option(
    "--alarm",
    "alarm_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A PutMetricAlarm JSON file (the options below override it).",
)
@click.option("--period", type=int, help="Period in seconds  [default: 300]")
@click.option("--evaluation-periods", type=int, help="EvaluationPeriods  [default: 1]")
@click.option(
    "--datapoints-to-alarm", type=int, help="DatapointsToAlarm  [default: EvaluationPeriods]"
)
@click.option(
    "--statistic", help="Sum, Average, SampleCount, Minimum, Maximum or pNN  [default: Sum]"
)
@click.option("--threshold", type=float, help="Threshold  [default: 1]")
@click.option(
    "--comparison",
    type=click.Choice(COMPARISON_OPERATORS),
    help="ComparisonOperator  [default: GreaterThanOrEqualToThreshold]",
)
@click.option(
    "--treat-missing-data",
    type=click.Choice(TREAT_MISSING_DATA),
    help="TreatMissingData  [default: missing]",
)
@click.option(
    "--show-records", type=int, default=10, show_default=True, help="Records shown per ALARM."
)
def replay_command(
    sources: tuple[str, ...],
    filter_arg: str,
    value: str,
    default_value: float | None,
    alarm_file: str | None,
    period: int | None,
    evaluation_periods: int | None,
    datapoints_to_alarm: int | None,
    statistic: str | None,
    threshold: float | None,
    comparison: str | None,
    treat_missing_data: str | None,
    show_records: int,
) -> None:
    """Replay CloudTrail records through a metric filter and an alarm, period by period.

    Each record becomes the one-line JSON CloudTrail writes to CloudWatch Logs, timed by its
    eventTime. Prints every alarm state change and, for each ALARM, the records behind it.
    The default alarm is the CIS one: Sum >= 1 over 300 seconds, 1 of 1.

    Exit status: 0 if the alarm went to ALARM, 1 if it never did, 2 for bad input.

    \b
    Example:
      trailguard alarm replay --threshold 3 --evaluation-periods 3 \\
          --datapoints-to-alarm 2 --filter \\
          '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }' AWSLogs/
    """
    definition = _alarm_definition(
        alarm_file,
        Period=period,
        EvaluationPeriods=evaluation_periods,
        DatapointsToAlarm=datapoints_to_alarm,
        Statistic=statistic,
        Threshold=threshold,
        ComparisonOperator=comparison,
        TreatMissingData=treat_missing_data,
    )
    alarm = Alarm.from_aws(definition, source=alarm_file)
    metric_filter = MetricFilter.from_aws(
        {
            "filterName": "replay",
            "filterPattern": pattern_text(filter_arg),
            "metricTransformations": [
                {
                    "metricName": "replay",
                    "metricNamespace": "trailguard",
                    "metricValue": value,
                    **({"defaultValue": default_value} if default_value is not None else {}),
                }
            ],
        },
        compile_filter=compile_filter,
    )
    report = InputReport()
    alarmed = False
    for transition in replay(_records(sources, report), metric_filter, alarm):
        alarmed = alarmed or transition.new_state == "ALARM"
        stamp = transition.time.strftime("%Y-%m-%dT%H:%M:%SZ")
        click.echo(
            f"{stamp}  {transition.old_state} -> {transition.new_state}  {transition.reason}"
        )
        for record in transition.records[:show_records]:
            event = CloudTrailEvent(record)
            when = event.get("eventTime", "-")
            click.echo(f"    {when}  {event.event_name}  {event.principal}  {event.source_ip}")
        if len(transition.records) > show_records:
            click.echo(f"    ... and {len(transition.records) - show_records} more")
    if report.problems:
        sys.exit(2)
    sys.exit(0 if alarmed else EXIT_NEVER_ALARMED)


def _records(sources: tuple[str, ...], report: InputReport) -> Iterator[Mapping[str, Any]]:
    for _path, _position, event in iter_input_events(sources, report):
        yield from_envelope(event)


def _alarm_definition(alarm_file: str | None, **overrides: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "AlarmName": "replay",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Statistic": "Sum",
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "missing",
    }
    if alarm_file:
        try:
            loaded = orjson.loads(Path(alarm_file).read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            raise ConfigError(
                f"cannot read the alarm: {error}", location=Location(alarm_file)
            ) from None
        if not isinstance(loaded, dict):
            raise ConfigError(
                "a PutMetricAlarm JSON object is expected", location=Location(alarm_file)
            )
        if "ExtendedStatistic" in loaded:
            definition.pop("Statistic")
        definition.update(loaded)
    statistic = overrides.pop("Statistic")
    if statistic is not None:
        definition.pop("Statistic", None)
        definition.pop("ExtendedStatistic", None)
        definition["ExtendedStatistic" if statistic.startswith("p") else "Statistic"] = statistic
    definition.update({key: value for key, value in overrides.items() if value is not None})
    return definition

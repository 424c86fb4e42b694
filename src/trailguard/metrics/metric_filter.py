"""Metric filters: log events turned into metric samples exactly as CloudWatch Logs does.

A matching event emits ``metricValue``; a non-matching event emits ``defaultValue`` when one is
set, and nothing otherwise; a minute without events emits nothing. Each sample is stamped with
its event's timestamp truncated to the minute.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from trailguard.errors import ConfigError, Location
from trailguard.metrics.alarm import STANDARD_UNITS

LogEvent = tuple[datetime | int, str]
"""One log event: its timestamp (aware datetime, or epoch milliseconds) and its message."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_METRIC_VALUE_MAX = 100


class FilterPattern(Protocol):
    """What a metric filter needs from a compiled CloudWatch Logs filter pattern."""

    def matches(self, message: str) -> bool:
        """Whether the pattern matches one log event's message."""
        ...

    def extract(self, message: str, selector: str) -> float | None:
        """The value ``selector`` (``$.field``, ``$name`` or a number) emits; None emits nothing."""
        ...


@dataclass(frozen=True)
class Sample:
    """One value a metric filter published, at the minute of its log event."""

    timestamp: datetime
    value: float
    matched: bool


@dataclass(frozen=True)
class MetricFilter:
    """A metric filter: a pattern and the one metric transformation AWS allows per filter."""

    pattern: FilterPattern
    metric_value: str = "1"
    default_value: float | None = None
    metric_name: str = ""
    metric_namespace: str = ""
    unit: str | None = None
    filter_name: str = ""

    @classmethod
    def from_aws(
        cls,
        definition: Mapping[str, Any],
        *,
        compile_filter: Callable[[str], FilterPattern],
        source: str | None = None,
    ) -> MetricFilter:
        """Build a filter from PutMetricFilter keys; ``compile_filter`` compiles the pattern."""
        where = source or str(definition.get("filterName") or "PutMetricFilter")
        pattern_text = definition.get("filterPattern")
        if not isinstance(pattern_text, str):
            raise _error(
                where, "filterPattern", 'Missing required parameter in input: "filterPattern"'
            )
        transformations = definition.get("metricTransformations")
        if not isinstance(transformations, list | tuple) or len(transformations) != 1:
            message = "metricTransformations must hold exactly 1 item"
            raise _error(where, "metricTransformations", message)
        transformation = transformations[0]
        if not isinstance(transformation, Mapping):
            raise _error(
                where, "metricTransformations", "metricTransformations[0] must be an object"
            )
        for required in ("metricName", "metricNamespace", "metricValue"):
            if not isinstance(transformation.get(required), str):
                raise _error(where, required, f'Missing required parameter in input: "{required}"')
        metric_value = str(transformation["metricValue"])
        if len(metric_value) > _METRIC_VALUE_MAX:
            message = f"metricValue must be at most {_METRIC_VALUE_MAX} characters"
            raise _error(where, "metricValue", message)
        if "*" in metric_value:
            # AWS rejects wildcard selectors here: one event publishes at most one value.
            message = (
                f"metric value {metric_value} must be a valid number or a single-valued selector"
            )
            raise _error(where, "metricValue", message)
        if transformation.get("dimensions"):
            # Each dimension combination is its own metric; an alarm watches one of them.
            message = "dimensions are not modelled: give the filter for one dimension combination"
            raise _error(where, "dimensions", message)
        default = transformation.get("defaultValue")
        if default is not None and (
            isinstance(default, bool) or not isinstance(default, int | float)
        ):
            raise _error(where, "defaultValue", f"defaultValue must be a number, not {default!r}")
        unit = transformation.get("unit")
        if unit is not None and unit not in STANDARD_UNITS:
            raise _error(where, "unit", f"unit must be one of {', '.join(STANDARD_UNITS)}")
        return cls(
            pattern=compile_filter(pattern_text),
            metric_value=metric_value,
            default_value=None if default is None else float(default),
            metric_name=str(transformation["metricName"]),
            metric_namespace=str(transformation["metricNamespace"]),
            unit=unit,
            filter_name=str(definition.get("filterName") or ""),
        )

    @property
    def published_unit(self) -> str:
        """The unit the samples carry; CloudWatch Logs publishes ``None`` when no unit is set."""
        return self.unit or "None"

    def sample(self, timestamp: datetime | int, message: str) -> Sample | None:
        """The sample one log event emits, or None when it emits nothing."""
        if self.pattern.matches(message):
            value = self.pattern.extract(message, self.metric_value)
            if value is None or not math.isfinite(value):
                return None
            return Sample(minute_of(timestamp), float(value), matched=True)
        if self.default_value is None:
            return None
        return Sample(minute_of(timestamp), self.default_value, matched=False)

    def samples(self, events: Iterable[LogEvent]) -> Iterator[Sample]:
        """The samples a stream of log events emits, in the order of the events."""
        for timestamp, message in events:
            found = self.sample(timestamp, message)
            if found is not None:
                yield found

    def period_samples(
        self, events: Iterable[LogEvent], period: int
    ) -> dict[datetime, list[float]]:
        """Sample values grouped by the epoch-aligned period they fall in, keyed by period start."""
        buckets: dict[datetime, list[float]] = defaultdict(list)
        for found in self.samples(events):
            buckets[period_start(found.timestamp, period)].append(found.value)
        return dict(sorted(buckets.items()))


def minute_of(timestamp: datetime | int) -> datetime:
    """A log event's timestamp truncated to the minute, as the metric datapoint is stamped."""
    moment = to_datetime(timestamp)
    return moment.replace(second=0, microsecond=0)


def to_datetime(timestamp: datetime | int) -> datetime:
    """An aware UTC datetime from a datetime or from epoch milliseconds."""
    if isinstance(timestamp, datetime):
        if timestamp.tzinfo is None:
            raise ValueError(f"timestamp {timestamp.isoformat()} has no time zone")
        return timestamp.astimezone(UTC)
    return EPOCH + timedelta(milliseconds=timestamp)


def period_start(timestamp: datetime, period: int) -> datetime:
    """The start of the epoch-aligned ``period`` (seconds) that contains ``timestamp``."""
    seconds = (timestamp - EPOCH) // timedelta(seconds=1)
    return EPOCH + timedelta(seconds=seconds - seconds % period)


def _error(where: str, field: str, message: str) -> ConfigError:
    return ConfigError(message, location=Location(where, None, field))

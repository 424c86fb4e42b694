"""Metric filters turning log events into samples, with a stand-in pattern."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from trailguard.errors import ConfigError
from trailguard.metrics import MetricFilter, Sample, aggregate
from trailguard.metrics.metric_filter import minute_of, period_start

if TYPE_CHECKING:
    from collections.abc import Callable

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
FAILED_SIGN_IN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
NAIVE = T0.replace(tzinfo=None)
FAILED_SIGN_IN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
NAIVE = T0.replace(tzinfo=None)


def at(minute: int, second: int = 0) -> datetime:
    """A time ``minute``:``second`` after 12:00 on 2024-03-01."""
    return T0.replace(minute=minute, second=second)


def message(**fields: Any) -> str:
    """A one-line JSON log message."""
    return json.dumps(fields)


def is_error(document: Any) -> bool:
    return bool(document.get("level") == "ERROR")


class TestSample:
    """What one log event emits."""

    def test_match_emits_metric_value(self, make_pattern: Callable[..., Any]) -> None:
        """A matching event emits metricValue at its minute."""
        metric = MetricFilter(make_pattern(is_error))
        assert metric.sample(at(3, 42), message(level="ERROR")) == Sample(at(3), 1.0, matched=True)

    def test_non_match_without_default_emits_nothing(
        self, make_pattern: Callable[..., Any]
    ) -> None:
        """Without defaultValue a non-matching event emits nothing."""
        assert MetricFilter(make_pattern(is_error)).sample(at(0), message(level="INFO")) is None

    def test_non_match_with_default(self, make_pattern: Callable[..., Any]) -> None:
        """With defaultValue every non-matching event emits it."""
        metric = MetricFilter(make_pattern(is_error), default_value=0.0)
        assert metric.sample(at(0), message(level="INFO")) == Sample(at(0), 0.0, matched=False)

    def test_selector_value(self, make_pattern: Callable[..., Any]) -> None:
        """A ``$.field`` metricValue publishes the field's number."""
        metric = MetricFilter(make_pattern(is_error), metric_value="$.latency")
        assert metric.sample(at(0), message(level="ERROR", latency=50)) == Sample(
            at(0), 50.0, matched=True
        )

    def test_non_numeric_selector_emits_nothing(self, make_pattern: Callable[..., Any]) -> None:
        """A match whose value is missing or not a number emits nothing, not even the default."""
        metric = MetricFilter(make_pattern(is_error), metric_value="$.latency", default_value=0.0)
        assert metric.sample(at(0), message(level="ERROR", latency="banana")) is None
        assert metric.sample(at(0), message(level="ERROR")) is None

    def test_epoch_milliseconds(self, make_pattern: Callable[..., Any]) -> None:
        """PutLogEvents timestamps in epoch milliseconds are accepted."""
        millis = int(at(7, 30).timestamp() * 1000) + 123
        found = MetricFilter(make_pattern(is_error)).sample(millis, message(level="ERROR"))
        assert found is not None
        assert found.timestamp == at(7)

    def test_naive_datetime_is_refused(self, make_pattern: Callable[..., Any]) -> None:
        """A timestamp without a time zone is ambiguous."""
        with pytest.raises(ValueError, match="no time zone"):
            MetricFilter(make_pattern(is_error)).sample(NAIVE, message(level="ERROR"))


class TestPeriodSamples:
    """Samples grouped into epoch-aligned periods."""

    def test_spec_example(self, make_pattern: Callable[..., Any]) -> None:
        """1 match (value 5) and 14 non-matches (default 3) in a minute: Sum 47, SampleCount 15."""
        metric = MetricFilter(make_pattern(is_error), metric_value="5", default_value=3.0)
        events = [(at(0, 1), message(level="ERROR"))] + [
            (at(0, 2 + i), message(level="INFO")) for i in range(14)
        ]
        buckets = metric.period_samples(events, 60)
        assert list(buckets) == [at(0)]
        assert aggregate("Sum", buckets[at(0)]) == 47.0
        assert aggregate("SampleCount", buckets[at(0)]) == 15.0

    def test_quiet_minutes_emit_nothing(self, make_pattern: Callable[..., Any]) -> None:
        """A period without events has no samples even with a default."""
        metric = MetricFilter(make_pattern(is_error), default_value=0.0)
        buckets = metric.period_samples(
            [(at(0), message(level="INFO")), (at(11), message(level="ERROR"))], 300
        )
        assert buckets == {at(0): [0.0], at(10): [1.0]}

    def test_out_of_order_events(self, make_pattern: Callable[..., Any]) -> None:
        """Events may arrive in any order; buckets come out sorted."""
        metric = MetricFilter(make_pattern(is_error))
        events = [
            (at(9), message(level="ERROR")),
            (at(1), message(level="ERROR")),
            (at(4), message(level="ERROR")),
        ]
        assert metric.period_samples(events, 300) == {at(0): [1.0, 1.0], at(5): [1.0]}

    def test_sub_minute_periods_see_whole_minutes(self, make_pattern: Callable[..., Any]) -> None:
        """Metric-filter datapoints are per minute, so a 10-second period only fills at :00."""
        metric = MetricFilter(make_pattern(is_error))
        assert metric.period_samples([(at(2, 45), message(level="ERROR"))], 10) == {at(2): [1.0]}

    def test_helpers(self) -> None:
        """Minute truncation and period alignment are epoch-based."""
        assert minute_of(at(2, 59)) == at(2)
        assert period_start(at(7, 30), 300) == at(5)
        assert period_start(at(59, 59), 3600) == at(0)


class TestFromAws:
    """MetricFilter.from_aws reads PutMetricFilter's shape."""

    def definition(self, **transformation: Any) -> dict[str, Any]:
        base = {
            "metricName": "ConsoleSigninFailureCount",
            "metricNamespace": "LogMetrics",
            "metricValue": "1",
        }
        base.update(transformation)
        return {
            "filterName": "console-signin-failures",
            "filterPattern": FAILED_SIGN_IN,
            "metricTransformations": [
                {key: value for key, value in base.items() if value is not None}
            ],
        }

    def test_reads_transformation(self, make_pattern: Callable[..., Any]) -> None:
        """The one transformation's fields land on the filter, and the pattern is compiled."""
        compiled: list[str] = []

        def compile_filter(text: str) -> Any:
            compiled.append(text)
            return make_pattern(is_error)

        metric = MetricFilter.from_aws(
            self.definition(defaultValue=0, unit="Count"), compile_filter=compile_filter
        )
        assert compiled == [self.definition()["filterPattern"]]
        assert (metric.metric_name, metric.metric_namespace, metric.metric_value) == (
            "ConsoleSigninFailureCount",
            "LogMetrics",
            "1",
        )
        assert metric.default_value == 0.0
        assert metric.published_unit == "Count"
        assert metric.filter_name == "console-signin-failures"

    def test_unit_defaults_to_none(self, make_pattern: Callable[..., Any]) -> None:
        """Without a unit CloudWatch Logs publishes the unit ``None``."""
        metric = MetricFilter.from_aws(
            self.definition(), compile_filter=lambda _: make_pattern(is_error)
        )
        assert metric.published_unit == "None"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"metricValue": None}, "metricValue"),
            ({"metricName": None}, "metricName"),
            ({"metricValue": "$." + "x" * 99}, "metricValue"),
            ({"metricValue": "$.items[*].value"}, "metricValue"),
            ({"defaultValue": "0"}, "defaultValue"),
            ({"unit": "Things"}, "unit"),
            ({"dimensions": {"user": "$.userIdentity.arn"}}, "dimensions"),
        ],
    )
    def test_invalid(
        self, make_pattern: Callable[..., Any], overrides: dict[str, Any], field: str
    ) -> None:
        """Invalid transformations raise ConfigError naming the field."""
        with pytest.raises(ConfigError) as caught:
            MetricFilter.from_aws(
                self.definition(**overrides), compile_filter=lambda _: make_pattern(is_error)
            )
        assert caught.value.location is not None
        assert caught.value.location.field == field

    def test_exactly_one_transformation(self, make_pattern: Callable[..., Any]) -> None:
        """A filter has exactly one metric transformation."""
        definition = self.definition()
        definition["metricTransformations"] *= 2
        with pytest.raises(ConfigError, match="exactly 1 item"):
            MetricFilter.from_aws(definition, compile_filter=lambda _: make_pattern(is_error))

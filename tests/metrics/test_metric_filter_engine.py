"""Metric filters with the real CloudWatch Logs pattern engine, on real CloudTrail records."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from trailguard.events import parse_event_time
from trailguard.metrics import MetricFilter, log_message, replay

if TYPE_CHECKING:
    from collections.abc import Callable

ENGINE_MISSING = (
    "the CloudWatch Logs pattern engine (trailguard.patterns.logs_filter) is not there yet"
)
engine = pytest.importorskip("trailguard.patterns.logs_filter", reason=ENGINE_MISSING)
if not hasattr(engine, "compile_filter"):
    pytest.skip(ENGINE_MISSING, allow_module_level=True)
compile_filter: Callable[[str], Any] = engine.compile_filter

# Security Hub CloudWatch.2 / CIS 3.2 and CloudWatch.6 / CIS 3.6, verbatim.
# https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
NO_MFA_SIGN_IN = '{ ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != "Yes") }'
FAILED_SIGN_IN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'

# Metric values from the CloudWatch Logs conformance corpus (AWS docs and a recorded AWS capture;
# see ../shared/conformance/cwlogs), plus one derived row for defaultValue on a non-match:
# id, pattern, message, metricValue, defaultValue, emitted.
METRIC_VALUES = [
    (
        "doc-metric-latency",
        "{ $.latency = * }",
        '{"latency":50,"requestType":"GET"}',
        "$.latency",
        None,
        50.0,
    ),
    ("doc-count-error-0", "Error", "This message contains an Error", "1", 0.0, 1.0),
    (
        "cap-mv-json-number",
        '{ $.kind = "number" && $.value = * }',
        '{"kind":"number","value":7}',
        "$.value",
        None,
        7.0,
    ),
    (
        "cap-mv-json-string-num",
        '{ $.kind = "string" && $.value = * }',
        '{"kind":"string","value":"11.5"}',
        "$.value",
        None,
        11.5,
    ),
    (
        "cap-mv-json-string-bad",
        '{ $.kind = "bad" && $.value = * }',
        '{"kind":"bad","value":"banana"}',
        "$.value",
        None,
        None,
    ),
    ("cap-mv-json-missing", '{ $.kind = "missing" }', '{"kind":"missing"}', "$.value", None, None),
    (
        "cap-mv-space-quoted",
        '[kind = "SPACE", value, bucket]',
        'SPACE "17.5" A',
        "$value",
        None,
        17.5,
    ),
    ("cap-mv-space-int", '[kind = "SPACE", value, bucket]', "SPACE 13 A", "$value", None, 13.0),
    ("cap-mv-space-short", '[kind = "SPACE", value, bucket]', "SPACE", "$value", None, None),
    ("cap-mv-space-undefined", "[kind,value]", "SPACE 17", "$missing", None, None),
    ("derived-default-on-miss", "Error", "all good", "1", 0.0, 0.0),
]


def event_time(record: dict[str, Any]) -> datetime:
    """A record's eventTime, which every record used here has."""
    moment = parse_event_time(record["eventTime"])
    assert moment is not None
    return moment


def no_mfa_sign_in(record: dict[str, Any]) -> bool:
    """The CIS filter's meaning: ``!=`` needs MFAUsed to exist, and compares case-sensitively."""
    mfa = (record.get("additionalEventData") or {}).get("MFAUsed")
    return record.get("eventName") == "ConsoleLogin" and isinstance(mfa, str) and mfa != "Yes"


class TestMetricValues:
    """What the real engine's matches and extractions publish through MetricFilter."""

    @pytest.mark.parametrize(
        ("pattern", "message", "metric_value", "default", "emitted"),
        [row[1:] for row in METRIC_VALUES],
        ids=[row[0] for row in METRIC_VALUES],
    )
    def test_emitted_value(
        self,
        pattern: str,
        message: str,
        metric_value: str,
        default: float | None,
        emitted: float | None,
    ) -> None:
        """The sample's value is AWS's, and no sample means AWS published nothing."""
        metric = MetricFilter(
            compile_filter(pattern), metric_value=metric_value, default_value=default
        )
        found = metric.sample(datetime(2024, 3, 1, tzinfo=UTC), message)
        assert (None if found is None else found.value) == emitted


class TestCisFiltersOnRecords:
    """The CIS filters over the AWS documentation's CloudTrail records."""

    def test_sign_in_without_mfa(self, docs_records: list[dict[str, Any]]) -> None:
        """Only ConsoleLogin records with an MFAUsed other than "Yes" (including "YES") emit."""
        metric = MetricFilter(compile_filter(NO_MFA_SIGN_IN))
        emitted = [
            record
            for record in docs_records
            if metric.sample(event_time(record), log_message(record))
        ]
        assert emitted == [record for record in docs_records if no_mfa_sign_in(record)]
        assert len(emitted) == 7
        assert any(record["additionalEventData"]["MFAUsed"] == "YES" for record in emitted)

    def test_from_aws(self, docs_records: list[dict[str, Any]]) -> None:
        """A PutMetricFilter definition compiles with the real engine and counts failed sign-ins."""
        metric = MetricFilter.from_aws(
            {
                "filterName": "ConsoleSigninFailures",
                "filterPattern": FAILED_SIGN_IN,
                "metricTransformations": [
                    {
                        "metricName": "ConsoleSigninFailureCount",
                        "metricNamespace": "LogMetrics",
                        "metricValue": "1",
                    }
                ],
            },
            compile_filter=compile_filter,
        )
        events = [(event_time(record), log_message(record)) for record in docs_records]
        assert sum(sample.value for sample in metric.samples(events)) == 3.0

    def test_replay_burst(self, docs_records: list[dict[str, Any]]) -> None:
        """The failed sign-ins, moved into one five-minute period, raise the CIS alarm once."""
        failures = [
            dict(record)
            for record in docs_records
            if record.get("errorMessage") == "Failed authentication"
        ]
        for second, record in enumerate(failures):
            record["eventTime"] = f"2024-03-01T12:07:{second:02d}Z"
        alarm = {
            "Period": 300,
            "EvaluationPeriods": 1,
            "Statistic": "Sum",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
            "TreatMissingData": "notBreaching",
        }
        transitions = list(replay(failures, MetricFilter(compile_filter(FAILED_SIGN_IN)), alarm))
        assert [(step.time.minute, step.new_state) for step in transitions] == [
            (10, "ALARM"),
            (25, "OK"),
        ]
        assert transitions[0].records == tuple(failures)


class TestAgreesWithMetricTransformation:
    """MetricFilter and the engine's own MetricTransformation publish the same samples."""

    @pytest.mark.parametrize(
        ("pattern", "message", "metric_value", "default"),
        [row[1:5] for row in METRIC_VALUES],
        ids=[row[0] for row in METRIC_VALUES],
    )
    def test_same_emission(
        self, pattern: str, message: str, metric_value: str, default: float | None
    ) -> None:
        """Value and matched flag agree event by event."""
        metric = importlib.import_module("trailguard.patterns.logs_filter.metric")
        compiled = compile_filter(pattern)
        transformation = metric.MetricTransformation(
            "Metric", "Namespace", metric_value=metric_value, default_value=default
        )
        emission = transformation.emit(compiled, message)
        mine = MetricFilter(compiled, metric_value=metric_value, default_value=default).sample(
            datetime(2024, 3, 1, tzinfo=UTC), message
        )
        expected = None if emission is None else (emission.value, emission.matched)
        assert (None if mine is None else (mine.value, mine.matched)) == expected

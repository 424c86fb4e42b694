"""Replaying CloudTrail records through a metric filter and an alarm."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.errors import ConfigError, InputError
from trailguard.events import to_envelope
from trailguard.metrics import Alarm, MetricFilter, Transition, log_message, replay

Record = dict[str, Any]


def at(minute: int, second: int = 0) -> datetime:
    """A time ``minute``:``second`` after 12:00 on 2024-03-01 (UTC)."""
    return datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC).replace(minute=minute, second=second)


def retimed(record: Record, minute: int, second: int = 0) -> Record:
    """A copy of a real record with its eventTime moved to 12:MM:SS."""
    moved = copy.deepcopy(record)
    moved["eventTime"] = at(minute, second).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moved


def cis_alarm(**overrides: Any) -> dict[str, Any]:
    """The CIS console sign-in failure alarm: Sum >= 1 over 300 s, 1 of 1."""
    alarm = {
        "AlarmName": "console-signin-failures",
        "MetricName": "ConsoleSigninFailureCount",
        "Namespace": "LogMetrics",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1.0,
        "TreatMissingData": "notBreaching",
    }
    alarm.update(overrides)
    return alarm


def steps(transitions: list[Transition]) -> list[tuple[datetime, str, str]]:
    """Each transition as (time, old state, new state)."""
    return [(step.time, step.old_state, step.new_state) for step in transitions]


@pytest.fixture
def burst(console_logins: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """Two sign-ins, a burst of three failed sign-ins at 12:07-12:09, and a sign-in at 12:31."""
    ok, failed = console_logins["succeeded"], console_logins["failed"]
    assert len(failed) == 3
    failures = [retimed(failed[0], 7, 10), retimed(failed[1], 8, 30), retimed(failed[2], 9, 59)]
    quiet = [retimed(ok[0], 1), retimed(ok[1], 3), retimed(ok[2], 31)]
    return {"failures": failures, "all": quiet[:2] + failures + quiet[2:]}


class TestLogMessage:
    """The message CloudTrail writes to CloudWatch Logs for a record."""

    def test_compact_json(self, console_logins: dict[str, list[Record]]) -> None:
        """The message is the record's one-line compact JSON."""
        record = console_logins["failed"][0]
        text = log_message(record)
        assert "\n" not in text
        assert '"eventName":"ConsoleLogin"' in text
        assert json.loads(text) == record


class TestConsoleLoginBurst:
    """A burst of failed console sign-ins against the CIS alarm."""

    def test_not_breaching(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """OK first, ALARM at the end of the burst's period, OK once the burst leaves the range."""
        transitions = list(replay(burst["all"], MetricFilter(failed_login_pattern), cis_alarm()))
        assert steps(transitions) == [
            (at(5), "INSUFFICIENT_DATA", "OK"),
            (at(10), "OK", "ALARM"),
            (at(25), "ALARM", "OK"),
        ]
        alarm = transitions[1]
        assert alarm.datapoints == (None, None, 3.0)
        assert [record["eventTime"] for record in alarm.records] == [
            "2024-03-01T12:07:10Z",
            "2024-03-01T12:08:30Z",
            "2024-03-01T12:09:59Z",
        ]
        assert all(got is want for got, want in zip(alarm.records, burst["failures"], strict=True))
        assert alarm.reason.startswith(
            "Threshold Crossed: 1 out of the last 1 datapoint [3.0] was greater"
        )
        assert transitions[0].records == transitions[2].records == ()

    def test_missing(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """With ``missing`` the quiet account is INSUFFICIENT_DATA before and after the burst."""
        transitions = list(
            replay(
                burst["all"],
                MetricFilter(failed_login_pattern),
                cis_alarm(TreatMissingData="missing"),
            )
        )
        assert steps(transitions) == [
            (at(10), "INSUFFICIENT_DATA", "ALARM"),
            (at(25), "ALARM", "INSUFFICIENT_DATA"),
        ]
        assert transitions[1].reason == "Insufficient Data: 3 datapoints were unknown."

    def test_ignore(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """With ``ignore`` the alarm stays in ALARM after the burst."""
        transitions = list(
            replay(
                burst["all"],
                MetricFilter(failed_login_pattern),
                cis_alarm(TreatMissingData="ignore"),
            )
        )
        assert steps(transitions) == [(at(10), "INSUFFICIENT_DATA", "ALARM")]

    def test_evaluation_range_of_one(
        self, burst: dict[str, list[Record]], failed_login_pattern: Any
    ) -> None:
        """A range of exactly N periods forgets the burst one period later."""
        transitions = list(
            replay(
                burst["all"], MetricFilter(failed_login_pattern), cis_alarm(), evaluation_range=1
            )
        )
        assert steps(transitions) == [
            (at(5), "INSUFFICIENT_DATA", "OK"),
            (at(10), "OK", "ALARM"),
            (at(15), "ALARM", "OK"),
        ]

    def test_out_of_order(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """Records arriving in any order give the same transitions."""
        shuffled = list(burst["all"])
        random.Random(7).shuffle(shuffled)
        metric = MetricFilter(failed_login_pattern)
        assert list(replay(shuffled, metric, cis_alarm())) == list(
            replay(burst["all"], metric, cis_alarm())
        )

    def test_envelopes(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """EventBridge envelopes are replayed as the records inside them."""
        envelopes = [to_envelope(record) for record in burst["all"]]
        transitions = list(replay(envelopes, MetricFilter(failed_login_pattern), cis_alarm()))
        assert steps(transitions)[1] == (at(10), "OK", "ALARM")
        assert [record["detail"]["eventTime"] for record in transitions[1].records] == [
            record["eventTime"] for record in burst["failures"]
        ]

    def test_start_and_end(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """Evaluations run only from start to end; earlier data still fills the range."""
        metric = MetricFilter(failed_login_pattern)
        assert steps(list(replay(burst["all"], metric, cis_alarm(), start=at(12), end=at(22)))) == [
            (at(15), "INSUFFICIENT_DATA", "ALARM"),
        ]
        assert steps(list(replay(burst["all"], metric, cis_alarm(), end=at(12)))) == [
            (at(5), "INSUFFICIENT_DATA", "OK"),
            (at(10), "OK", "ALARM"),
        ]

    def test_unit_mismatch(self, burst: dict[str, list[Record]], failed_login_pattern: Any) -> None:
        """An alarm whose Unit differs from the filter's never sees data."""
        transitions = list(
            replay(burst["all"], MetricFilter(failed_login_pattern), cis_alarm(Unit="Count"))
        )
        assert steps(transitions) == [(at(5), "INSUFFICIENT_DATA", "OK")]
        counted = MetricFilter(failed_login_pattern, unit="Count")
        assert steps(list(replay(burst["all"], counted, cis_alarm(Unit="Count"))))[1][2] == "ALARM"

    def test_average_is_diluted_by_default_value(
        self, burst: dict[str, list[Record]], failed_login_pattern: Any
    ) -> None:
        """The CIS pitfall: with defaultValue 0, Average over sign-ins never reaches 1."""
        metric = MetricFilter(failed_login_pattern, default_value=0.0)
        noisy = burst["all"] + [retimed(burst["all"][0], 8, second) for second in (1, 2)]
        assert "ALARM" not in {
            step.new_state for step in replay(noisy, metric, cis_alarm(Statistic="Average"))
        }
        assert "ALARM" in {step.new_state for step in replay(noisy, metric, cis_alarm())}


class TestTwoOfThree:
    """An M-of-N alarm on one-minute periods."""

    def test_sparse_failures_not_breaching(
        self, console_logins: dict[str, list[Record]], failed_login_pattern: Any
    ) -> None:
        """Failures at 12:00 and 12:02 alarm at 12:03 and clear when one leaves the range."""
        failed = console_logins["failed"]
        records = [retimed(failed[0], 0, 30), retimed(failed[1], 2, 15)]
        alarm = cis_alarm(Period=60, EvaluationPeriods=3, DatapointsToAlarm=2)
        transitions = list(replay(records, MetricFilter(failed_login_pattern), alarm))
        assert steps(transitions) == [
            (at(1), "INSUFFICIENT_DATA", "OK"),
            (at(3), "OK", "ALARM"),
            (at(6), "ALARM", "OK"),
        ]
        assert transitions[1].datapoints == (None, None, 1.0, None, 1.0)
        assert transitions[1].records == tuple(records)

    def test_dense_with_default_value(
        self, console_logins: dict[str, list[Record]], failed_login_pattern: Any
    ) -> None:
        """With a sign-in every minute and defaultValue 0, ``1 0 1`` alarms and ``0 1 0`` clears."""
        ok, failed = console_logins["succeeded"], console_logins["failed"]
        quiet = [retimed(ok[minute % len(ok)], minute, 5) for minute in range(6)]
        failures = [retimed(failed[0], 0, 40), retimed(failed[2], 2, 40)]
        alarm = cis_alarm(
            Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="missing"
        )
        metric = MetricFilter(failed_login_pattern, default_value=0.0)
        transitions = list(replay(quiet + failures, metric, alarm))
        assert steps(transitions) == [
            (at(2), "INSUFFICIENT_DATA", "OK"),
            (at(3), "OK", "ALARM"),
            (at(4), "ALARM", "OK"),
            (at(11), "OK", "INSUFFICIENT_DATA"),
        ]
        assert transitions[1].datapoints == (None, None, 1.0, 0.0, 1.0)
        assert transitions[1].records == tuple(failures)

    def test_premature_rule(
        self, console_logins: dict[str, list[Record]], failed_login_pattern: Any
    ) -> None:
        """With ``missing`` one failure, then silence, alarms two periods later (documented)."""
        records = [retimed(console_logins["failed"][0], 0, 30)]
        alarm = cis_alarm(
            Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="missing"
        )
        transitions = list(replay(records, MetricFilter(failed_login_pattern), alarm))
        assert steps(transitions)[0] == (at(2), "INSUFFICIENT_DATA", "ALARM")
        assert transitions[0].records == tuple(records)


class TestReplayInputs:
    """Inputs replay refuses or handles specially."""

    def test_record_without_event_time(self, failed_login_pattern: Any) -> None:
        """Every record needs an eventTime."""
        with pytest.raises(InputError, match="no valid eventTime"):
            list(
                replay(
                    [{"eventName": "ConsoleLogin"}], MetricFilter(failed_login_pattern), cis_alarm()
                )
            )

    def test_no_records(self, failed_login_pattern: Any) -> None:
        """No records and no start: nothing to replay."""
        assert list(replay([], MetricFilter(failed_login_pattern), cis_alarm())) == []

    def test_no_records_with_range(self, failed_login_pattern: Any) -> None:
        """With an explicit range an empty account is evaluated as missing data."""
        transitions = list(
            replay([], MetricFilter(failed_login_pattern), cis_alarm(), start=at(0), end=at(30))
        )
        assert steps(transitions) == [(at(0), "INSUFFICIENT_DATA", "OK")]

    def test_range_narrower_than_n(self, failed_login_pattern: Any) -> None:
        """The evaluation range must hold at least EvaluationPeriods periods."""
        alarm = Alarm.from_aws(cis_alarm(EvaluationPeriods=3, Period=60))
        with pytest.raises(ConfigError, match="at least EvaluationPeriods"):
            list(replay([], MetricFilter(failed_login_pattern), alarm, evaluation_range=2))

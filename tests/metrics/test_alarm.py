"""The alarm model (PutMetricAlarm validation) and the state decision."""

from __future__ import annotations

from typing import Any

import pytest

from trailguard.errors import ConfigError
from trailguard.metrics import Alarm, evaluate_alarm, explain_alarm

HI, LO, NA = 5.0, 1.0, None  # breaching, not breaching, missing (threshold 3, GreaterThanThreshold)


def definition(**overrides: Any) -> dict[str, Any]:
    """A valid PutMetricAlarm definition: 3 of 3, Maximum > 3, 5-minute periods."""
    base: dict[str, Any] = {
        "AlarmName": "test-alarm",
        "Period": 300,
        "EvaluationPeriods": 3,
        "Statistic": "Maximum",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 3.0,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


BAND = "LessThanLowerOrGreaterThanUpperThreshold"
TREAT_OPTIONS = (
    "Supported options for parameter TreatMissingData are missing, ignore, breaching and "
    "notBreaching."
)
EITHER = "You must specify either Statistic or ExtendedStatistic, but not both."
INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"Period": 45}, "Period", "Period must be 10, 20, 30 or a multiple of 60"),
    ({"Period": 0}, "Period", "Invalid value for parameter Period, value: 0, valid min value: 1"),
    ({"Period": None}, "Period", 'Missing required parameter in input: "Period"'),
    ({"Period": "300"}, "Period", "Invalid type for parameter Period"),
    ({"EvaluationPeriods": 0}, "EvaluationPeriods", "valid min value: 1"),
    ({"EvaluationPeriods": True}, "EvaluationPeriods", "Invalid type for parameter"),
    (
        {"DatapointsToAlarm": 4},
        "DatapointsToAlarm",
        "must be less than or equal to EvaluationPeriods",
    ),
    ({"DatapointsToAlarm": 0}, "DatapointsToAlarm", "valid min value: 1"),
    ({"Period": 60, "EvaluationPeriods": 1441}, "EvaluationPeriods", "86,400 seconds"),
    ({"Period": 3600, "EvaluationPeriods": 169}, "EvaluationPeriods", "604,800 seconds"),
    ({"Statistic": "Avg"}, "Statistic", "Member must satisfy enum value set: [SampleCount"),
    ({"Statistic": None}, "Statistic", EITHER),
    ({"ExtendedStatistic": "p99"}, "Statistic", EITHER),
    (
        {"Statistic": None, "ExtendedStatistic": "tm90"},
        "ExtendedStatistic",
        "The value tm90 for parameter ExtendedStatistic is not supported.",
    ),
    (
        {"ComparisonOperator": "Bogus"},
        "ComparisonOperator",
        "Value 'Bogus' at 'comparisonOperator'",
    ),
    ({"ComparisonOperator": None}, "ComparisonOperator", "Missing required parameter"),
    ({"Threshold": None}, "Threshold", "Threshold is required"),
    ({"Threshold": "1"}, "Threshold", "Invalid type for parameter Threshold"),
    (
        {"TreatMissingData": "zero"},
        "TreatMissingData",
        f"Option zero is not supported. {TREAT_OPTIONS}",
    ),
    (
        {"EvaluateLowSampleCountPercentile": "skip"},
        "EvaluateLowSampleCountPercentile",
        "Option skip",
    ),
    ({"Unit": "Things"}, "Unit", "Value 'Things' at 'unit'"),
    (
        {"ComparisonOperator": "LessThanLowerThreshold"},
        "LowerThreshold",
        "LowerThreshold is required",
    ),
    (
        {"ComparisonOperator": BAND, "LowerThreshold": 5, "UpperThreshold": 1},
        "LowerThreshold",
        "must not be greater than UpperThreshold",
    ),
]


class TestAlarmFromAws:
    """Alarm.from_aws accepts PutMetricAlarm's shape and applies its defaults."""

    def test_defaults(self) -> None:
        """DatapointsToAlarm defaults to EvaluationPeriods and TreatMissingData to missing."""
        alarm = Alarm.from_aws(definition())
        assert alarm.datapoints_needed == 3
        assert alarm.treat_missing_data == "missing"
        assert alarm.statistic == "Maximum"

    def test_extended_statistic(self) -> None:
        """A percentile comes in ExtendedStatistic and round-trips there."""
        alarm = Alarm.from_aws(definition(Statistic=None, ExtendedStatistic="p99.5"))
        assert alarm.is_percentile
        assert alarm.to_aws()["ExtendedStatistic"] == "p99.5"
        assert "Statistic" not in alarm.to_aws()

    def test_round_trip(self) -> None:
        """to_aws gives back a definition that builds the same alarm."""
        alarm = Alarm.from_aws(
            definition(DatapointsToAlarm=2, TreatMissingData="notBreaching", Unit="Count")
        )
        assert Alarm.from_aws(alarm.to_aws()) == alarm

    def test_describe_alarms_keys_are_ignored(self) -> None:
        """Keys DescribeAlarms adds (ARN, state, actions) do not stop a definition from loading."""
        described = definition(
            AlarmArn="arn:aws:cloudwatch:us-east-1:111122223333:alarm:x", StateValue="OK"
        )
        assert Alarm.from_aws(described).alarm_name == "test-alarm"

    @pytest.mark.parametrize("period", [10, 20, 30, 60, 120, 3600])
    def test_valid_periods(self, period: int) -> None:
        """10, 20, 30 and multiples of 60 are valid periods."""
        assert Alarm.from_aws(definition(Period=period, EvaluationPeriods=1)).period == period


class TestAlarmValidation:
    """Invalid definitions raise ConfigError naming the field, in AWS's words where known."""

    @pytest.mark.parametrize(("overrides", "field", "message"), INVALID)
    def test_invalid(self, overrides: dict[str, Any], field: str, message: str) -> None:
        """The error's location names the AWS field and its message says what is wrong."""
        with pytest.raises(ConfigError) as caught:
            Alarm.from_aws(definition(**overrides))
        assert caught.value.location is not None
        assert caught.value.location.field == field
        assert message in caught.value.message
        assert str(caught.value).startswith(f"test-alarm ({field}): ")

    def test_source_names_the_file(self) -> None:
        """A source path replaces the alarm name in the error's location."""
        with pytest.raises(ConfigError) as caught:
            Alarm.from_aws(definition(Period=45), source="alarms/root.yaml")
        assert (
            str(caught.value)
            == "alarms/root.yaml (Period): Period must be 10, 20, 30 or a multiple of 60"
        )

    def test_direct_construction_is_validated(self) -> None:
        """Building an Alarm directly runs the same checks."""
        with pytest.raises(ConfigError, match="DatapointsToAlarm must be less than or equal"):
            Alarm(300, 1, "Sum", "GreaterThanOrEqualToThreshold", 1.0, datapoints_to_alarm=2)

    def test_unknown_previous_state(self) -> None:
        """The previous state must be one of the three alarm states."""
        with pytest.raises(ConfigError, match="Unknown alarm state"):
            evaluate_alarm(definition(), [HI, HI, HI], "PENDING")


class TestComparison:
    """Each operator puts the statistic first: ``stat OP Threshold``."""

    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("GreaterThanThreshold", 3.0, "OK"),
            ("GreaterThanOrEqualToThreshold", 3.0, "ALARM"),
            ("LessThanThreshold", 3.0, "OK"),
            ("LessThanOrEqualToThreshold", 3.0, "ALARM"),
            ("LessThanThreshold", 2.0, "ALARM"),
            ("GreaterThanThreshold", 4.0, "ALARM"),
        ],
    )
    def test_equal_to_threshold(self, operator: str, value: float, expected: str) -> None:
        """A value equal to the threshold breaches only for the OrEqualTo operators."""
        alarm = definition(ComparisonOperator=operator, EvaluationPeriods=1)
        assert evaluate_alarm(alarm, [value], "OK") == expected

    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("LessThanLowerOrGreaterThanUpperThreshold", 0.5, "ALARM"),
            ("LessThanLowerOrGreaterThanUpperThreshold", 5.0, "OK"),
            ("LessThanLowerOrGreaterThanUpperThreshold", 11.0, "ALARM"),
            ("LessThanLowerThreshold", 11.0, "OK"),
            ("LessThanLowerThreshold", 0.5, "ALARM"),
            ("GreaterThanUpperThreshold", 0.5, "OK"),
            ("GreaterThanUpperThreshold", 11.0, "ALARM"),
        ],
    )
    def test_band(self, operator: str, value: float, expected: str) -> None:
        """Band operators compare with the extra LowerThreshold / UpperThreshold keys."""
        alarm = definition(
            ComparisonOperator=operator,
            EvaluationPeriods=1,
            Threshold=None,
            LowerThreshold=1.0,
            UpperThreshold=10.0,
        )
        assert evaluate_alarm(alarm, [value], "OK") == expected


class TestTreatMissingData:
    """Each TreatMissingData mode, on ranges with and without enough real datapoints."""

    @pytest.mark.parametrize(
        ("treat", "expected"),
        [
            ("missing", "INSUFFICIENT_DATA"),
            ("breaching", "ALARM"),
            ("notBreaching", "OK"),
            ("ignore", "ALARM"),
        ],
    )
    def test_no_data(self, treat: str, expected: str) -> None:
        """With no datapoint at all: INSUFFICIENT_DATA, ALARM, OK, or the previous state."""
        alarm = definition(TreatMissingData=treat)
        assert evaluate_alarm(alarm, [NA, NA, NA, NA, NA], "ALARM") == expected

    @pytest.mark.parametrize("previous", ["OK", "ALARM", "INSUFFICIENT_DATA"])
    def test_ignore_keeps_any_state(self, previous: str) -> None:
        """``ignore`` with no data keeps whichever state the alarm was in."""
        assert (
            evaluate_alarm(definition(TreatMissingData="ignore"), [NA, NA, NA], previous)
            == previous
        )

    @pytest.mark.parametrize("treat", ["missing", "breaching", "notBreaching", "ignore"])
    def test_enough_real_datapoints(self, treat: str) -> None:
        """With N real datapoints in range, TreatMissingData and older datapoints do not count."""
        alarm = definition(TreatMissingData=treat)
        assert evaluate_alarm(alarm, [LO, HI, HI, NA, HI], "OK") == "ALARM"
        assert evaluate_alarm(alarm, [HI, HI, LO, NA, HI], "ALARM") == "OK"

    def test_breaching_fills_as_few_as_possible(self) -> None:
        """``breaching`` fills only N minus the real count, so a real non-breach still counts."""
        alarm = definition(TreatMissingData="breaching")
        assert evaluate_alarm(alarm, [NA, NA, LO, NA, NA], "OK") == "OK"  # 1 real OK + 2 filled < 3
        assert (
            evaluate_alarm(
                definition(TreatMissingData="breaching", DatapointsToAlarm=2),
                [NA, NA, LO, NA, NA],
                "OK",
            )
            == "ALARM"
        )

    def test_not_breaching(self) -> None:
        """``notBreaching`` fills with good datapoints, so breaches must be real."""
        alarm = definition(TreatMissingData="notBreaching", DatapointsToAlarm=2)
        assert evaluate_alarm(alarm, [NA, NA, HI, NA, NA], "OK") == "OK"
        assert evaluate_alarm(alarm, [NA, HI, NA, HI, NA], "OK") == "ALARM"

    def test_premature_rule(self) -> None:
        """``missing``: an old enough breach followed only by gaps alarms without waiting."""
        alarm = definition(DatapointsToAlarm=2)
        assert evaluate_alarm(alarm, [NA, NA, NA, HI, NA], "OK") == "ALARM"
        assert evaluate_alarm(alarm, [NA, NA, NA, NA, HI], "OK") == "INSUFFICIENT_DATA"
        assert evaluate_alarm(alarm, [LO, NA, HI, NA, NA], "OK") == "OK"

    def test_ignore_with_too_few_breaches_keeps_state(self) -> None:
        """``ignore`` keeps the state where ``missing`` would apply the premature rule."""
        alarm = definition(TreatMissingData="ignore", DatapointsToAlarm=2)
        assert evaluate_alarm(alarm, [NA, NA, NA, HI, NA], "OK") == "OK"

    def test_dynamodb_always_ignores(self) -> None:
        """Alarms on AWS/DynamoDB metrics behave as ``ignore`` whatever TreatMissingData says."""
        alarm = definition(Namespace="AWS/DynamoDB", TreatMissingData="breaching")
        assert evaluate_alarm(alarm, [NA, NA, NA], "OK") == "OK"


class TestMOutOfN:
    """DatapointsToAlarm: M of the last N datapoints must breach, not necessarily in a row."""

    def test_non_consecutive(self) -> None:
        """``X 0 X`` with M = 2 alarms."""
        assert evaluate_alarm(definition(DatapointsToAlarm=2), [HI, LO, HI], "OK") == "ALARM"

    def test_not_enough(self) -> None:
        """``0 0 X`` with M = 2 is OK."""
        assert evaluate_alarm(definition(DatapointsToAlarm=2), [LO, LO, HI], "ALARM") == "OK"

    def test_only_last_n_real_count(self) -> None:
        """Breaches older than the N most recent real datapoints do not count."""
        assert (
            evaluate_alarm(definition(DatapointsToAlarm=2), [HI, HI, LO, LO, HI], "ALARM") == "OK"
        )

    def test_alarm_instance(self) -> None:
        """evaluate_alarm takes an Alarm as well as a mapping."""
        assert (
            evaluate_alarm(Alarm.from_aws(definition(DatapointsToAlarm=2)), [HI, LO, HI], "OK")
            == "ALARM"
        )


class TestExplainAlarm:
    """explain_alarm names the datapoints that decided the state and says why."""

    def test_evaluated_and_breaching_indices(self) -> None:
        """Only the N most recent real datapoints are evaluated."""
        outcome = explain_alarm(definition(DatapointsToAlarm=2), [HI, LO, HI, NA, HI], "OK")
        assert outcome.state == "ALARM"
        assert outcome.evaluated == (1, 2, 4)
        assert outcome.breaching == (2, 4)

    def test_reason_like_cloudwatch(self) -> None:
        """The reason follows CloudWatch's StateReason wording."""
        outcome = explain_alarm(
            definition(
                EvaluationPeriods=1,
                ComparisonOperator="GreaterThanOrEqualToThreshold",
                Threshold=1.0,
            ),
            [2.0],
            "OK",
        )
        assert outcome.reason == (
            "Threshold Crossed: 1 out of the last 1 datapoint [2.0] was greater than or equal to "
            "the "
            "threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
        )

    def test_reason_for_filled_datapoints(self) -> None:
        """Filled missing datapoints are counted in the reason."""
        outcome = explain_alarm(
            definition(TreatMissingData="breaching"), [NA, NA, HI, NA, NA], "OK"
        )
        assert outcome.state == "ALARM"
        assert outcome.filled == 2
        assert "2 missing datapoints were treated as [Breaching]" in outcome.reason

    def test_reason_without_data(self) -> None:
        """No data with ``missing`` reads like CloudWatch's Insufficient Data reason."""
        assert (
            explain_alarm(definition(), [NA, NA, NA], "OK").reason
            == "Insufficient Data: 3 datapoints were unknown."
        )

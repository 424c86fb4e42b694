"""CloudWatch metric alarms: the PutMetricAlarm model and the exact state decision.

The decision reproduces every row of the CloudWatch documentation's missing-data tables
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html),
including the premature-alarm rule; ../shared/specs/cloudwatch_alarm_semantics.md section 3
gives the procedure and docs/alarms-notes.md the choices made where the docs are silent.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from trailguard.errors import ConfigError, Location
from trailguard.metrics.statistics import STATISTICS, is_statistic, percentile_rank

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

AlarmState = Literal["OK", "ALARM", "INSUFFICIENT_DATA"]
TreatMissingData = Literal["missing", "notBreaching", "breaching", "ignore"]

STATES: tuple[AlarmState, ...] = ("OK", "ALARM", "INSUFFICIENT_DATA")
TREAT_MISSING_DATA: tuple[TreatMissingData, ...] = (
    "missing",
    "ignore",
    "breaching",
    "notBreaching",
)

_STATIC_OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", operator.ge),
    "GreaterThanThreshold": ("greater than", operator.gt),
    "LessThanThreshold": ("less than", operator.lt),
    "LessThanOrEqualToThreshold": ("less than or equal to", operator.le),
}
# AWS reserves these for anomaly-detection bands; trailguard takes a fixed band from the
# extra keys LowerThreshold / UpperThreshold (not PutMetricAlarm fields).
_BAND_OPERATORS: dict[str, str] = {
    "LessThanLowerOrGreaterThanUpperThreshold": "outside the band",
    "LessThanLowerThreshold": "less than the lower bound of the band",
    "GreaterThanUpperThreshold": "greater than the upper bound of the band",
}
COMPARISON_OPERATORS: tuple[str, ...] = (*_STATIC_OPERATORS, *_BAND_OPERATORS)

STANDARD_UNITS: tuple[str, ...] = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
)  # fmt: skip

_ONE_DAY = 86_400
_SEVEN_DAYS = 604_800
_FILL_LABELS = {"breaching": "Breaching", "notBreaching": "NonBreaching"}


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch metric alarm as PutMetricAlarm defines it, validated on construction."""

    period: int
    evaluation_periods: int
    statistic: str
    comparison_operator: str
    threshold: float | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    alarm_name: str = ""
    namespace: str = ""
    unit: str | None = None
    evaluate_low_sample_count_percentile: str | None = None
    lower_threshold: float | None = None
    upper_threshold: float | None = None

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            field, message = problems[0]
            where = Location(self.alarm_name or "PutMetricAlarm", None, field)
            raise ConfigError(message, location=where)

    @classmethod
    def from_aws(cls, definition: Mapping[str, Any], *, source: str | None = None) -> Alarm:
        """Build an alarm from PutMetricAlarm (or DescribeAlarms) keys, with AWS's checks.

        ``source`` names where the definition came from (a file) in the error's location.
        """
        where = source or str(definition.get("AlarmName") or "PutMetricAlarm")
        statistic = _string(definition, "Statistic", where)
        extended = _string(definition, "ExtendedStatistic", where)
        if (statistic is None) == (extended is None):
            raise _error(
                where,
                "Statistic",
                "You must specify either Statistic or ExtendedStatistic, but not both.",
            )
        if statistic is not None:
            _enum(statistic, "Statistic", STATISTICS, where)
        elif extended is not None and percentile_rank(extended) is None:
            raise _error(
                where,
                "ExtendedStatistic",
                f"The value {extended} for parameter ExtendedStatistic is not supported.",
            )
        operator_name = _string(definition, "ComparisonOperator", where, required=True)
        assert operator_name is not None
        _enum(operator_name, "ComparisonOperator", COMPARISON_OPERATORS, where)
        unit = _string(definition, "Unit", where)
        if unit is not None:
            _enum(unit, "Unit", STANDARD_UNITS, where)
        period = _integer(definition, "Period", where, required=True)
        evaluation_periods = _integer(definition, "EvaluationPeriods", where, required=True)
        assert period is not None
        assert evaluation_periods is not None
        try:
            return cls(
                period=period,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=_integer(definition, "DatapointsToAlarm", where),
                statistic=statistic or extended or "",
                comparison_operator=operator_name,
                threshold=_number(definition, "Threshold", where),
                treat_missing_data=_string(definition, "TreatMissingData", where) or "missing",
                alarm_name=str(definition.get("AlarmName") or ""),
                namespace=_string(definition, "Namespace", where) or "",
                unit=unit,
                evaluate_low_sample_count_percentile=_string(
                    definition, "EvaluateLowSampleCountPercentile", where
                ),
                lower_threshold=_number(definition, "LowerThreshold", where),
                upper_threshold=_number(definition, "UpperThreshold", where),
            )
        except ConfigError as exc:
            if source is None:
                raise
            field = exc.location.field if exc.location else None
            raise ConfigError(exc.message, location=Location(source, None, field)) from None

    def to_aws(self) -> dict[str, Any]:
        """The PutMetricAlarm keys of this alarm (band bounds as trailguard's extra keys)."""
        definition: dict[str, Any] = {
            "Period": self.period,
            "EvaluationPeriods": self.evaluation_periods,
            "DatapointsToAlarm": self.datapoints_needed,
            "ExtendedStatistic" if self.is_percentile else "Statistic": self.statistic,
            "ComparisonOperator": self.comparison_operator,
            "TreatMissingData": self.treat_missing_data,
        }
        optional = {
            "AlarmName": self.alarm_name,
            "Namespace": self.namespace,
            "Threshold": self.threshold,
            "Unit": self.unit,
            "EvaluateLowSampleCountPercentile": self.evaluate_low_sample_count_percentile,
            "LowerThreshold": self.lower_threshold,
            "UpperThreshold": self.upper_threshold,
        }
        definition.update(
            {key: value for key, value in optional.items() if value not in (None, "")}
        )
        return definition

    @property
    def datapoints_needed(self) -> int:
        """M: how many of the N evaluated datapoints must breach (DatapointsToAlarm, else N)."""
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def is_percentile(self) -> bool:
        """Whether the statistic is an ExtendedStatistic percentile such as ``p99``."""
        return percentile_rank(self.statistic) is not None

    @property
    def missing_data(self) -> str:
        """The TreatMissingData that applies; AWS/DynamoDB alarms always ignore missing data."""
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
        return "ignore" if self.namespace == "AWS/DynamoDB" else self.treat_missing_data

    def breaches(self, value: float) -> bool:
        """Whether one datapoint breaches: ``value OP threshold`` holds."""
        static = _STATIC_OPERATORS.get(self.comparison_operator)
        if static is not None:
            assert self.threshold is not None
            return static[1](value, self.threshold)
        below = self.lower_threshold is not None and value < self.lower_threshold
        above = self.upper_threshold is not None and value > self.upper_threshold
        if self.comparison_operator == "LessThanLowerThreshold":
            return below
        if self.comparison_operator == "GreaterThanUpperThreshold":
            return above
        return below or above

    def describe_threshold(self) -> str:
        """The comparison in words, e.g. ``greater than or equal to the threshold (1.0)``."""
        static = _STATIC_OPERATORS.get(self.comparison_operator)
        if static is not None:
            return f"{static[0]} the threshold ({self.threshold!r})"
        band = f"({self.lower_threshold!r}, {self.upper_threshold!r})"
        return f"{_BAND_OPERATORS[self.comparison_operator]} {band}"

    def _problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if self.period < 1:
            problems.append(("Period", _min_message("Period", self.period)))
        elif self.period not in (10, 20, 30) and self.period % 60:
            problems.append(("Period", "Period must be 10, 20, 30 or a multiple of 60"))
        if self.evaluation_periods < 1:
            problems.append(
                ("EvaluationPeriods", _min_message("EvaluationPeriods", self.evaluation_periods))
            )
        if self.datapoints_to_alarm is not None:
            if self.datapoints_to_alarm < 1:
                message = _min_message("DatapointsToAlarm", self.datapoints_to_alarm)
                problems.append(("DatapointsToAlarm", message))
            elif self.datapoints_to_alarm > self.evaluation_periods:
                message = "DatapointsToAlarm must be less than or equal to EvaluationPeriods"
                problems.append(("DatapointsToAlarm", message))
        limit = _ONE_DAY if self.period < 3600 else _SEVEN_DAYS
        if self.period >= 1 and self.period * self.evaluation_periods > limit:
            problems.append(("EvaluationPeriods", _total_period_message(limit)))
        if not is_statistic(self.statistic):
            problems.append(("Statistic", _enum_message(self.statistic, "Statistic", STATISTICS)))
        if self.comparison_operator not in COMPARISON_OPERATORS:
            message = _enum_message(
                self.comparison_operator, "ComparisonOperator", COMPARISON_OPERATORS
            )
            problems.append(("ComparisonOperator", message))
        else:
            problems.extend(self._threshold_problems())
        if self.treat_missing_data not in TREAT_MISSING_DATA:
            message = _option_message(
                self.treat_missing_data, "TreatMissingData", TREAT_MISSING_DATA
            )
            problems.append(("TreatMissingData", message))
        low_samples = self.evaluate_low_sample_count_percentile
        if low_samples is not None and low_samples not in ("evaluate", "ignore"):
            message = _option_message(
                low_samples, "EvaluateLowSampleCountPercentile", ("evaluate", "ignore")
            )
            problems.append(("EvaluateLowSampleCountPercentile", message))
        return problems

    def _threshold_problems(self) -> list[tuple[str, str]]:
        if self.comparison_operator in _STATIC_OPERATORS:
            if self.threshold is None:
                return [
                    ("Threshold", "Threshold is required for an alarm with a static threshold.")
                ]
            return []
        needed = {
            "LessThanLowerThreshold": ("LowerThreshold",),
            "GreaterThanUpperThreshold": ("UpperThreshold",),
        }.get(self.comparison_operator, ("LowerThreshold", "UpperThreshold"))
        bounds = {"LowerThreshold": self.lower_threshold, "UpperThreshold": self.upper_threshold}
        for name in needed:
            if bounds[name] is None:
                message = f"{name} is required with ComparisonOperator {self.comparison_operator}."
                return [(name, message)]
        low, high = self.lower_threshold, self.upper_threshold
        if low is not None and high is not None and low > high:
            return [("LowerThreshold", "LowerThreshold must not be greater than UpperThreshold.")]
        return []


@dataclass(frozen=True)
class Evaluation:
    """One evaluation's outcome and the datapoints (indices into the range) that decided it."""

    state: AlarmState
    reason: str
    evaluated: tuple[int, ...] = ()
    breaching: tuple[int, ...] = ()
    filled: int = 0


def evaluate_alarm(
    alarm: Mapping[str, Any] | Alarm,
    datapoints: Sequence[float | None],
    previous_state: str,
) -> AlarmState:
    """The state CloudWatch gives ``alarm`` over its datapoints (oldest first, None = missing)."""
    return explain_alarm(alarm, datapoints, previous_state).state


def explain_alarm(
    alarm: Mapping[str, Any] | Alarm,
    datapoints: Sequence[float | None],
    previous_state: str,
) -> Evaluation:
    """Evaluate like ``evaluate_alarm`` and say why, naming the datapoints that counted.

    ``datapoints`` is the evaluation range, which is longer than EvaluationPeriods (N) in
    CloudWatch: the documented examples use N + 2. When the range holds N or more real
    datapoints, only the N most recent count; otherwise TreatMissingData fills the gap.
    """
    spec = alarm if isinstance(alarm, Alarm) else Alarm.from_aws(alarm)
    previous = _state(previous_state)
    points = list(datapoints)
    n, m = spec.evaluation_periods, spec.datapoints_needed
    real = [index for index, value in enumerate(points) if value is not None]
    if len(real) >= n:
        used = tuple(real[-n:])
        hits = _breaching(spec, points, used)
        state: AlarmState = "ALARM" if len(hits) >= m else "OK"
        return _crossed(spec, previous, points, Evaluation(state, "", used, hits))
    treat = spec.missing_data
    fill = n - len(real)
    if not real:
        return _no_data(treat, previous, len(points), n)
    used = tuple(real)
    hits = _breaching(spec, points, used)
    if len(hits) >= m:
        state = "ALARM"
    elif treat == "breaching":
        state = "ALARM" if len(hits) + fill >= m else "OK"
    elif treat == "notBreaching" or len(hits) < len(used):
        state = "OK"
    elif treat == "ignore":
        reason = (
            f"{len(hits)} of {n} datapoints breached and {fill} were missing; "
            "missing data is ignored."
        )
        return Evaluation(previous, reason, used, hits)
    elif _premature(spec, points, n, m):
        recent = tuple(index for index in hits if index >= len(points) - n)
        reason = (
            f"Threshold Crossed: the oldest of the last {n} periods that breached is at least "
            f"{m} periods old and every newer period breached or is missing, so the alarm does "
            f"not wait for the missing datapoints [{_values(points, recent)}]."
        )
        return Evaluation("ALARM", reason, used, recent)
    else:
        reason = f"Insufficient Data: {fill} of the last {n} datapoints {_were(fill)} unknown."
        return Evaluation("INSUFFICIENT_DATA", reason, used, hits)
    filled = fill if treat in _FILL_LABELS else 0
    return _crossed(spec, previous, points, Evaluation(state, "", used, hits, filled))


def _breaching(
    spec: Alarm, points: list[float | None], indices: tuple[int, ...]
) -> tuple[int, ...]:
    return tuple(index for index in indices if spec.breaches(_real(points[index])))


def _premature(spec: Alarm, points: list[float | None], n: int, m: int) -> bool:
    # "Avoiding premature transitions": an old enough breach followed only by breaches or
    # gaps alarms now. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
    window = range(max(len(points) - n, 0), len(points))
    oldest = next(
        (i for i in window if points[i] is not None and spec.breaches(_real(points[i]))), None
    )
    if oldest is None or len(points) - oldest < m:
        return False
    return all(
        points[i] is None or spec.breaches(_real(points[i])) for i in range(oldest, len(points))
    )


def _no_data(treat: str, previous: AlarmState, size: int, n: int) -> Evaluation:
    if treat == "ignore":
        return Evaluation(
            previous, f"No datapoints in the last {size} periods; missing data is ignored."
        )
    if treat == "missing":
        return Evaluation(
            "INSUFFICIENT_DATA", f"Insufficient Data: {size} datapoints were unknown."
        )
    state: AlarmState = "ALARM" if treat == "breaching" else "OK"
    reason = (
        f"Threshold Crossed: no datapoints were received for {_count(n, 'period')} and "
        f"{_count(n, 'missing datapoint')} {_were(n)} treated as [{_FILL_LABELS[treat]}]."
    )
    return Evaluation(state, reason, filled=n)


def _crossed(
    spec: Alarm, previous: AlarmState, points: list[float | None], outcome: Evaluation
) -> Evaluation:
    n, m = spec.evaluation_periods, spec.datapoints_needed
    alarming = outcome.state == "ALARM"
    used, hits = outcome.evaluated, outcome.breaching
    count = len(hits) if alarming else len(used) - len(hits)
    reason = (
        f"Threshold Crossed: {count} out of the last {_count(len(used), 'datapoint')} "
        f"[{_values(points, used)}] {_were(count)} {'' if alarming else 'not '}"
        f"{spec.describe_threshold()}"
    )
    if outcome.filled:
        label = _FILL_LABELS[spec.missing_data]
        reason += (
            f" and {_count(outcome.filled, 'missing datapoint')} {_were(outcome.filled)} "
            f"treated as [{label}]"
        )
    minimum = m if alarming else n - m + 1
    reason += (
        f" (minimum {_count(minimum, 'datapoint')} for {previous} -> {outcome.state} transition)."
    )
    return replace(outcome, reason=reason)


def _real(value: float | None) -> float:
    assert value is not None
    return value


def _values(points: list[float | None], indices: tuple[int, ...]) -> str:
    return ", ".join(repr(points[index]) for index in indices)


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _state(value: str) -> AlarmState:
    for state in STATES:
        if value == state:
            return state
    raise ConfigError(f"Unknown alarm state {value!r}: expected one of {', '.join(STATES)}")


def _error(where: str, field: str, message: str) -> ConfigError:
    return ConfigError(message, location=Location(where, None, field))


def _min_message(field: str, value: int) -> str:
    # botocore's client-side wording for a value below the model's minimum.
    return f"Invalid value for parameter {field}, value: {value}, valid min value: 1"


def _enum_message(value: str, field: str, allowed: Sequence[str]) -> str:
    member = field[0].lower() + field[1:]
    return (
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


def _option_message(value: str, field: str, allowed: Sequence[str]) -> str:
    options = ", ".join(allowed[:-1]) + f" and {allowed[-1]}"
    return (
        f"Option {value} is not supported. Supported options for parameter {field} are {options}."
    )


def _total_period_message(limit: int) -> str:
    if limit == _ONE_DAY:
        return (
            "Period multiplied by EvaluationPeriods must be at most 86,400 seconds (one day) "
            "when Period is under 3,600 seconds"
        )
    return "Period multiplied by EvaluationPeriods must be at most 604,800 seconds (seven days)"


def _enum(value: str, field: str, allowed: Sequence[str], where: str) -> None:
    if value not in allowed:
        raise _error(where, field, _enum_message(value, field, allowed))


def _string(
    definition: Mapping[str, Any], field: str, where: str, *, required: bool = False
) -> str | None:
    value = definition.get(field)
    if value is None:
        if required:
            raise _error(where, field, f'Missing required parameter in input: "{field}"')
        return None
    if not isinstance(value, str):
        raise _error(where, field, _type_message(field, value, "<class 'str'>"))
    return value


def _integer(
    definition: Mapping[str, Any], field: str, where: str, *, required: bool = False
) -> int | None:
    value = definition.get(field)
    if value is None:
        if required:
            raise _error(where, field, f'Missing required parameter in input: "{field}"')
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(where, field, _type_message(field, value, "<class 'int'>"))
    return value


def _number(definition: Mapping[str, Any], field: str, where: str) -> float | None:
    value = definition.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        valid = "<class 'float'>, <class 'decimal.Decimal'>, <class 'int'>"
        raise _error(where, field, _type_message(field, value, valid))
    return float(value)


def _type_message(field: str, value: object, valid: str) -> str:
    # botocore's client-side wording, so the message matches what boto3 would raise.
    return (
        f"Invalid type for parameter {field}, value: {value}, type: {type(value)}, "
        f"valid types: {valid}"
    )

"""CloudWatch metrics offline: statistics, metric filters, alarm evaluation and alarm replay."""

from __future__ import annotations

from trailguard.metrics.alarm import (
    COMPARISON_OPERATORS,
    STATES,
    TREAT_MISSING_DATA,
    Alarm,
    AlarmState,
    Evaluation,
    evaluate_alarm,
    explain_alarm,
)
from trailguard.metrics.metric_filter import FilterPattern, LogEvent, MetricFilter, Sample
from trailguard.metrics.replay import Transition, log_message, replay
from trailguard.metrics.statistics import STATISTICS, aggregate

__all__ = [
    "COMPARISON_OPERATORS",
    "STATES",
    "STATISTICS",
    "TREAT_MISSING_DATA",
    "Alarm",
    "AlarmState",
    "Evaluation",
    "FilterPattern",
    "LogEvent",
    "MetricFilter",
    "Sample",
    "Transition",
    "aggregate",
    "evaluate_alarm",
    "explain_alarm",
    "log_message",
    "replay",
]

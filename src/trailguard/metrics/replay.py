"""Replay CloudTrail records through a metric filter and an alarm, yielding its state changes.

How this models CloudWatch:

* CloudTrail delivers each record to CloudWatch Logs as one log event whose message is the
  record's JSON; the event's timestamp is ``eventTime``.
* The metric filter emits one sample per event (``MetricFilter.sample``), stamped with the
  event's minute, and the samples of each epoch-aligned period become one datapoint
  (the alarm's statistic); a period without samples is missing.
* The alarm starts in INSUFFICIENT_DATA, as a new CloudWatch alarm does, and is evaluated at
  every period boundary over the last ``evaluation_range`` periods (default N + 2, the range
  the CloudWatch documentation's examples use; ``explain_alarm`` decides the state).

Simplifications: CloudWatch evaluates an alarm with Period >= 60 every minute over a sliding
window (every 10 s for shorter periods), so it can change state up to Period - 60 s earlier
than this model, and a burst that straddles an aligned boundary can fill one of CloudWatch's
sliding windows but two of our periods. Ingestion delay is not modelled: each period's data is
complete at its end. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from trailguard.errors import ConfigError, InputError
from trailguard.events import CloudTrailEvent, from_envelope, parse_event_time
from trailguard.metrics.alarm import Alarm, AlarmState, explain_alarm
from trailguard.metrics.metric_filter import EPOCH, MetricFilter
from trailguard.metrics.statistics import aggregate

Record = Mapping[str, Any]


@dataclass(frozen=True)
class Transition:
    """One alarm state change: when, from what to what, on which datapoints and records."""

    time: datetime
    old_state: AlarmState
    new_state: AlarmState
    datapoints: tuple[float | None, ...]
    reason: str
    records: tuple[Record, ...] = ()


@dataclass
class _Bucket:
    values: list[float] = field(default_factory=list)
    matched: list[tuple[datetime, Record]] = field(default_factory=list)


def log_message(record: Record) -> str:
    """The CloudWatch Logs message CloudTrail writes for a record: its compact one-line JSON."""
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def replay(  # noqa: PLR0913 - the range limits and its width are keyword-only options
    records: Iterable[Record],
    metric_filter: MetricFilter,
    alarm: Mapping[str, Any] | Alarm,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    evaluation_range: int | None = None,
) -> Iterator[Transition]:
    """Yield every state change of ``alarm`` watching ``metric_filter`` over ``records``.

    Records may arrive in any order; each needs an ``eventTime``. Evaluations run at the
    period boundaries from ``start`` (default: the end of the earliest record's period) to
    ``end`` (default: when the evaluation range has slid past the latest record), so the
    alarm is seen settling after the data stops. Data from before ``start`` still fills the
    first evaluation ranges, as CloudWatch may use datapoints from before an alarm existed.
    An ALARM transition carries the records that matched the filter in its breaching periods.
    """
    spec = alarm if isinstance(alarm, Alarm) else Alarm.from_aws(alarm)
    width = spec.evaluation_periods + 2 if evaluation_range is None else evaluation_range
    if width < spec.evaluation_periods:
        raise ConfigError(
            f"evaluation_range must be at least EvaluationPeriods ({spec.evaluation_periods})"
        )
    # An alarm whose Unit differs from the published one finds no data (PutMetricAlarm, Unit).
    unit_matches = spec.unit is None or spec.unit == metric_filter.published_unit
    buckets, earliest, latest = _collect(records, metric_filter, spec.period, unit_matches)
    if start is None and earliest is None:
        return
    first = _boundary_after(start, spec.period) if start else _index(earliest, spec.period) + 1
    if end is not None:
        last = _index(end, spec.period)
    elif latest is not None:
        last = _index(latest, spec.period) + width + 1
    else:
        last = first
    values = {key: aggregate(spec.statistic, bucket.values) for key, bucket in buckets.items()}
    keys = sorted(values)
    state: AlarmState = "INSUFFICIENT_DATA"
    boundary = first
    while boundary <= last:
        window = [values.get(key) for key in range(boundary - width, boundary)]
        outcome = explain_alarm(spec, window, state)
        if outcome.state != state:
            contributing: tuple[Record, ...] = ()
            if outcome.state == "ALARM":
                periods = [boundary - width + index for index in outcome.breaching]
                contributing = _records(buckets, periods)
            yield Transition(
                time=EPOCH + timedelta(seconds=boundary * spec.period),
                old_state=state,
                new_state=outcome.state,
                datapoints=tuple(window),
                reason=outcome.reason,
                records=contributing,
            )
            state = outcome.state
        boundary += 1
        if all(value is None for value in window):
            # With no data in range the state stays put until a datapoint enters the range.
            following = bisect.bisect_left(keys, boundary - width)
            if following == len(keys):
                return
            boundary = max(boundary, keys[following] + 1)


def _collect(
    records: Iterable[Record], metric_filter: MetricFilter, period: int, unit_matches: bool
) -> tuple[dict[int, _Bucket], datetime | None, datetime | None]:
    buckets: dict[int, _Bucket] = defaultdict(_Bucket)
    earliest: datetime | None = None
    latest: datetime | None = None
    for record in records:
        bare = record.record if isinstance(record, CloudTrailEvent) else from_envelope(record)
        moment = parse_event_time(bare.get("eventTime"))
        if moment is None:
            raise InputError(f"record {bare.get('eventID', '?')} has no valid eventTime")
        earliest = moment if earliest is None else min(earliest, moment)
        latest = moment if latest is None else max(latest, moment)
        if not unit_matches:
            continue
        sample = metric_filter.sample(moment, log_message(bare))
        if sample is None:
            continue
        bucket = buckets[_index(sample.timestamp, period)]
        bucket.values.append(sample.value)
        if sample.matched:
            bucket.matched.append((moment, record))
    return dict(buckets), earliest, latest


def _records(buckets: Mapping[int, _Bucket], periods: Iterable[int]) -> tuple[Record, ...]:
    found = [entry for key in periods if key in buckets for entry in buckets[key].matched]
    found.sort(key=lambda entry: entry[0])
    return tuple(record for _, record in found)


def _index(moment: datetime | None, period: int) -> int:
    assert moment is not None
    return (moment - EPOCH) // timedelta(seconds=period)


def _boundary_after(moment: datetime, period: int) -> int:
    index = _index(moment, period)
    return index if EPOCH + timedelta(seconds=index * period) == moment else index + 1


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

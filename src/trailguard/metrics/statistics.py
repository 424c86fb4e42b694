"""CloudWatch statistics: one period's raw samples reduced to the value an alarm compares."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING

from trailguard.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

STATISTICS: tuple[str, ...] = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
"""The values of PutMetricAlarm's ``Statistic``; percentiles go in ``ExtendedStatistic``."""

_PERCENTILE = re.compile(r"p(\d{1,3}(?:\.\d{1,2})?)")

_REDUCERS: dict[str, Callable[[Sequence[float]], float]] = {
    "SampleCount": lambda samples: float(len(samples)),
    "Average": lambda samples: math.fsum(samples) / len(samples),
    "Sum": math.fsum,
    "Minimum": min,
    "Maximum": max,
}


def percentile_rank(statistic: str) -> Fraction | None:
    """The percentile of ``pNN`` / ``pNN.NN`` as an exact fraction of 1, or None if not one."""
    found = _PERCENTILE.fullmatch(statistic)
    if found is None:
        return None
    rank = Fraction(found.group(1)) / 100
    return rank if rank <= 1 else None


def is_statistic(statistic: str) -> bool:
    """Whether ``aggregate`` knows ``statistic`` (a ``Statistic`` value or a percentile)."""
    return statistic in _REDUCERS or percentile_rank(statistic) is not None


def aggregate(statistic: str, samples: Sequence[float]) -> float | None:
    """The CloudWatch ``statistic`` of one period's samples; None when the period has none.

    Percentiles use the nearest-rank definition: the smallest sample with at least
    ``p`` percent of the samples at or below it. CloudWatch documents ``p95`` only as "95 percent
    of the data is lower than this value"; see docs/alarms-notes.md.
    """
    reducer = _REDUCERS.get(statistic)
    rank = percentile_rank(statistic) if reducer is None else None
    if reducer is None and rank is None:
        raise ConfigError(
            f"The value {statistic} for parameter Statistic is not supported: use one of "
            f"{', '.join(STATISTICS)} or a percentile pNN.NN"
        )
    if not samples:
        return None
    if reducer is not None:
        return float(reducer(samples))
    assert rank is not None
    ordered = sorted(samples)
    position = max(math.ceil(rank * len(ordered)), 1)
    return float(ordered[position - 1])

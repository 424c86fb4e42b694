"""A metric filter's transformation: which value and dimensions one log event publishes.

A matching event publishes ``metricValue`` (a number, or the numeric value a selector picks; a
missing or non-numeric value publishes nothing). A non-matching event publishes
``defaultValue`` when one is set, once per event, and nothing otherwise.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter._base import (
    Fields,
    FilterKind,
    FilterPattern,
    Target,
    dimension_target,
    metric_target,
)
from trailguard.patterns.logs_filter._messages import (
    DIMENSIONS_UNSUPPORTED,
    DIMENSIONS_WITH_DEFAULT,
    constraint,
)

if TYPE_CHECKING:
    from trailguard.patterns.logs_filter.json_selector import Selector

# StandardUnit in the CloudWatch Logs API model (botocore logs/2014-03-28).
UNITS = (
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
)
MAX_NAME = 255
MAX_METRIC_VALUE = 100
MAX_DIMENSIONS = 3
NAME_FORBIDDEN = frozenset(":*$")
MEMBER = "metricTransformations.1.member."
EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class MetricEmission:
    """What one log event publishes: its value, dimensions and unit."""

    value: float
    dimensions: Mapping[str, str]
    unit: str | None
    matched: bool


@dataclass(frozen=True)
class MetricTransformation:
    """One ``metricTransformations`` entry of ``PutMetricFilter``, validated as AWS does."""

    metric_name: str
    metric_namespace: str
    metric_value: str = "1"
    default_value: float | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: str | None = None
    _target: Target = field(init=False, repr=False, compare=False)
    _dimension_targets: tuple[tuple[str, Selector | str], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _check_name(self.metric_name, "metricName")
        _check_name(self.metric_namespace, "metricNamespace")
        if len(self.metric_value) > MAX_METRIC_VALUE:
            rule = f"Member must have length less than or equal to {MAX_METRIC_VALUE}"
            raise constraint(self.metric_value, MEMBER + "metricValue", rule)
        if self.unit is not None and self.unit not in UNITS:
            rule = f"Member must satisfy enum value set: [{', '.join(UNITS)}]"
            raise constraint(self.unit, MEMBER + "unit", rule)
        object.__setattr__(self, "dimensions", MappingProxyType(dict(self.dimensions)))
        for key, value in self.dimensions.items():
            for text, member in ((key, "key"), (value, "value")):
                if len(text) > MAX_NAME:
                    rule = f"Member must have length less than or equal to {MAX_NAME}"
                    raise constraint(text, f"{MEMBER}dimensions.{member}", rule)
        object.__setattr__(self, "_target", metric_target(self.metric_value))
        targets = tuple((key, dimension_target(value)) for key, value in self.dimensions.items())
        object.__setattr__(self, "_dimension_targets", targets)
        if self.dimensions and self.default_value is not None:
            raise InvalidFilterPattern(DIMENSIONS_WITH_DEFAULT)
        if len(self.dimensions) > MAX_DIMENSIONS:
            # AWS documents the limit; its exact message is not recorded.
            raise InvalidFilterPattern(
                f"Invalid metric transformation: at most {MAX_DIMENSIONS} dimensions are allowed"
            )

    def __hash__(self) -> int:
        return hash(
            (
                self.metric_name,
                self.metric_namespace,
                self.metric_value,
                self.default_value,
                tuple(sorted(self.dimensions.items())),
                self.unit,
            )
        )

    @classmethod
    def from_aws(
        cls, item: Mapping[str, Any], *, pattern: FilterPattern | None = None
    ) -> MetricTransformation:
        """Build from PutMetricFilter's ``metricTransformations[i]`` (camelCase keys).

        With ``pattern``, also check what depends on it (dimensions need a JSON or
        space-delimited pattern).
        """
        names = {}
        for key in ("metricName", "metricNamespace", "metricValue"):
            value = item.get(key)
            if value is None:
                raise constraint(None, MEMBER + key, "Member must not be null")
            names[key] = _typed(value, key, str)
        default = item.get("defaultValue")
        if default is not None:
            default = float(_typed(default, "defaultValue", int | float))
        dimensions = _typed(item.get("dimensions") or {}, "dimensions", Mapping)
        unit = item.get("unit")
        transformation = cls(
            metric_name=names["metricName"],
            metric_namespace=names["metricNamespace"],
            metric_value=names["metricValue"],
            default_value=default,
            dimensions={
                _typed(k, "dimensions", str): _typed(v, "dimensions", str)
                for k, v in dimensions.items()
            },
            unit=None if unit is None else _typed(unit, "unit", str),
        )
        if pattern is not None:
            transformation.check(pattern)
        return transformation

    def check(self, pattern: FilterPattern) -> None:
        """Raise what PutMetricFilter raises for this transformation with ``pattern``."""
        if self.dimensions and pattern.kind is FilterKind.TERMS:
            raise InvalidFilterPattern(DIMENSIONS_UNSUPPORTED)

    def emit(self, pattern: FilterPattern, message: str) -> MetricEmission | None:
        """What one log event publishes through this filter, or None for nothing."""
        return self._emission(pattern.fields(message))

    def emit_parsed(
        self, pattern: FilterPattern, document: object, message: str | None = None
    ) -> MetricEmission | None:
        """``emit`` for a record already parsed from its compact JSON line."""
        return self._emission(pattern.fields_parsed(document, message))

    def _emission(self, found: Fields | None) -> MetricEmission | None:
        if found is None:
            if self.default_value is None:
                return None
            return MetricEmission(self.default_value, EMPTY, self.unit, matched=False)
        value = found.number(self._target)
        if value is None or not math.isfinite(value):
            return None
        dimensions: dict[str, str] = {}
        for key, target in self._dimension_targets:
            text = found.text(target)
            if text is None:
                return None
            dimensions[key] = text
        return MetricEmission(value, MappingProxyType(dimensions), self.unit, matched=True)


def _check_name(value: str, key: str) -> None:
    if len(value) > MAX_NAME:
        rule = f"Member must have length less than or equal to {MAX_NAME}"
        raise constraint(value, MEMBER + key, rule)
    if NAME_FORBIDDEN & set(value):
        rule = "Member must satisfy regular expression pattern: [^:*$]*"
        raise constraint(value, MEMBER + key, rule)


def _typed(value: Any, key: str, kind: Any) -> Any:
    """``value`` if it has the type the API model wants (botocore's client-side wording)."""
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidFilterPattern(
            f"Invalid type for parameter metricTransformations[0].{key}, value: {value!r},"
            f" type: {type(value)}"
        )
    return value

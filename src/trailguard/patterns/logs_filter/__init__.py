"""CloudWatch Logs filter patterns with AWS's exact semantics, and metric-filter values.

``compile_filter(text)`` validates a pattern the way ``PutMetricFilter`` does (raising
``InvalidFilterPattern`` with AWS's message) and returns a ``FilterPattern`` whose ``matches``
never raises. The language is picked from the first character of the stripped text: ``{`` a JSON
pattern, ``[`` a space-delimited pattern, anything else terms (a lone ``%regex%`` included, and
the empty pattern, which matches every event).
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
"""

from __future__ import annotations

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter._base import Fields, FilterKind, FilterPattern
from trailguard.patterns.logs_filter._messages import MAX_PATTERN_LENGTH, constraint
from trailguard.patterns.logs_filter.json_pattern import JsonPattern, compile_json
from trailguard.patterns.logs_filter.metric import MetricEmission, MetricTransformation
from trailguard.patterns.logs_filter.space_delimited import (
    SpaceDelimitedPattern,
    compile_space_delimited,
)
from trailguard.patterns.logs_filter.terms import TermPattern, compile_terms

__all__ = [
    "Fields",
    "FilterKind",
    "FilterPattern",
    "InvalidFilterPattern",
    "JsonPattern",
    "MetricEmission",
    "MetricTransformation",
    "SpaceDelimitedPattern",
    "TermPattern",
    "compile_filter",
]


def compile_filter(text: str) -> FilterPattern:
    """Compile a filter pattern; an invalid one raises ``InvalidFilterPattern`` (AWS's wording)."""
    # AWS measures the length in UTF-16 code units, as Java strings do.
    if len(text.encode("utf-16-le")) // 2 > MAX_PATTERN_LENGTH:
        raise constraint(
            text,
            "filterPattern",
            f"Member must have length less than or equal to {MAX_PATTERN_LENGTH}",
        )
    stripped = text.strip()
    if stripped.startswith("{"):
        return compile_json(text)
    if stripped.startswith("["):
        return compile_space_delimited(text)
    return compile_terms(text)

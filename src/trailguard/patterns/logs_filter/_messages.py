"""AWS's own wording for rejected filter patterns and metric transformations.

The texts are the ``InvalidParameterException`` messages recorded from ``TestMetricFilter`` and
``PutMetricFilter`` (radkawar/stackd ``testdata/aws/logs/*.json``, localstack's AWS-validated
snapshots); ``FilterLogEvents`` says "Invalid filter pattern" where these say "Invalid metric
filter pattern".
"""

from __future__ import annotations

from trailguard.errors import InvalidFilterPattern

GENERIC = "Invalid metric filter pattern"
REGEX_COMPILE = "Failed to compile regular expression."
TOO_MANY_REGEX = "Your input has exceeded the maximum of 2 regular expressions per filter pattern."
WILDCARDS_PER_SELECTOR = (
    "Your filter pattern has a JSON path selector that exceeds the maximum of 1 wildcard allowed"
    " per json selector."
)
WILDCARD_SELECTORS = (
    "Your input has exceeded the maximum of 3 JSON wildcard selectors allowed per filter pattern."
)
DIMENSION_SELECTOR = "Invalid metric transformation: dimension value must be valid selector"
DIMENSIONS_WITH_DEFAULT = (
    "Invalid metric transformation: dimensions and default value are mutually exclusive properties"
)
DIMENSIONS_UNSUPPORTED = "The specified filter pattern does not support dimensions"

MAX_PATTERN_LENGTH = 1024
MAX_REGEX = 2


def invalid(message: str = GENERIC) -> InvalidFilterPattern:
    """The error AWS raises for a pattern it rejects."""
    return InvalidFilterPattern(message)


def bad_term(term: str) -> InvalidFilterPattern:
    """The lexer error: ``term`` is the text AWS quotes, up to and including the bad character."""
    return InvalidFilterPattern(f"Invalid character(s) in term '{term}'")


def duplicate_field(name: str) -> InvalidFilterPattern:
    """A space-delimited pattern names a field (or ``...``) twice."""
    return InvalidFilterPattern(f"Duplicate field '{name}'")


def bad_metric_value(value: str) -> InvalidFilterPattern:
    """A ``metricValue`` that is neither a number nor a single-valued selector."""
    return InvalidFilterPattern(
        f"Invalid metric transformation: metric value {value} must be a valid number"
    )


def constraint(value: str | None, member: str, rule: str) -> InvalidFilterPattern:
    """AWS's request-validation message for one member that breaks a length or enum rule."""
    shown = "null" if value is None else f"'{value}'"
    return InvalidFilterPattern(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy"
        f" constraint: {rule}"
    )

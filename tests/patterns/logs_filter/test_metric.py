"""Metric filters: the value and dimensions one log event publishes."""

from __future__ import annotations

from typing import Any

import pytest

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter import MetricTransformation, compile_filter
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS


def definition(**overrides: Any) -> dict[str, Any]:
    return {"metricName": "Latency", "metricNamespace": "App", "metricValue": "1", **overrides}


class TestMetricValues:
    def test_json_field_value(self):
        """``{ $.latency = * }`` with ``$.latency`` publishes 50 (the docs' example)."""
        pattern = compile_filter("{ $.latency = * }")
        assert pattern.extract('{"latency":50,"requestType":"GET"}', "$.latency") == 50.0

    def test_numeric_string_is_converted(self):
        """A JSON string holding a number publishes that number (recorded AWS)."""
        pattern = compile_filter("{ $.value = * }")
        assert pattern.extract('{"value":"11.5"}', "$.value") == 11.5

    @pytest.mark.parametrize("message", ['{"value":"banana"}', '{"kind":"x"}', '{"value":true}'])
    def test_non_numeric_or_missing_value_publishes_nothing(self, message):
        """A matching event whose value is missing or not a number gives no datapoint."""
        assert compile_filter("{ $.kind = * || $.value = * }").extract(message, "$.value") is None

    def test_literal_value_needs_a_match(self):
        """A literal ``metricValue`` is published for matching events only."""
        pattern = compile_filter("Error")
        assert pattern.extract("This message contains an Error", "1") == 1.0
        assert pattern.extract("all fine", "1") is None

    def test_space_field_values(self):
        """``$name`` reads a named field (quotes removed) and ``$k`` a position."""
        pattern = compile_filter('[kind = "SPACE", value, bucket]')
        assert pattern.extract('SPACE "17.5" A', "$value") == 17.5
        assert pattern.extract("SPACE 13 A", "$missing") is None
        assert compile_filter("[]").extract("a b 7", "$3") == 7.0

    def test_value_from_a_parsed_record(self, docs_records):
        """``extract_parsed`` reads a number out of a CloudTrail record."""
        pattern = compile_filter("{ $.eventName = StopInstances }")
        record = next(r for r in docs_records if r.get("eventName") == "StopInstances")
        selector = "$.responseElements.instancesSet.items[0].currentState.code"
        assert pattern.extract_parsed(record, selector) == 64.0

    def test_dimension_text(self, docs_records):
        """``extract_text`` gives a string, a number's text or a boolean's text."""
        pattern = compile_filter("{ $.eventName = * }")
        message = '{"eventName":"ConsoleLogin","n":1.50,"flag":false,"obj":{}}'
        assert pattern.extract_text(message, "$.eventName") == "ConsoleLogin"
        assert pattern.extract_text(message, "$.n") == "1.50"
        assert pattern.extract_text(message, "$.flag") == "false"
        assert pattern.extract_text(message, "$.obj") is None
        assert pattern.extract_text_parsed(docs_records[0], "$.userIdentity.type") == "IAMUser"

    def test_wildcard_selector_is_rejected(self):
        """PutMetricFilter's message: a wildcard selector is not a single number."""
        pattern = compile_filter("{ $.items[*].value = * }")
        with pytest.raises(InvalidFilterPattern) as raised:
            pattern.extract('{"items":[{"value":7}]}', "$.items[*].value")
        expected = (
            "Invalid metric transformation: metric value $.items[*].value must be a valid number"
        )
        assert str(raised.value) == expected


class TestMetricTransformation:
    def test_from_aws(self):
        """PutMetricFilter's camelCase keys become the dataclass fields."""
        transformation = MetricTransformation.from_aws(
            definition(
                metricValue="$.latency", unit="Milliseconds", dimensions={"Type": "$.requestType"}
            )
        )
        assert transformation.metric_name == "Latency"
        assert transformation.metric_value == "$.latency"
        assert transformation.unit == "Milliseconds"
        assert dict(transformation.dimensions) == {"Type": "$.requestType"}

    def test_match_publishes_value_and_dimensions(self):
        """A matching event publishes the selected value with its dimension values."""
        pattern = compile_filter("{ $.latency = * }")
        transformation = MetricTransformation.from_aws(
            definition(metricValue="$.latency", dimensions={"Type": "$.requestType"}),
            pattern=pattern,
        )
        emission = transformation.emit(pattern, '{"latency":50,"requestType":"GET"}')
        assert emission is not None
        assert (emission.value, dict(emission.dimensions), emission.matched) == (
            50.0,
            {"Type": "GET"},
            True,
        )

    def test_default_value_for_each_non_matching_event(self):
        """A non-matching event publishes ``defaultValue``; without one it publishes nothing."""
        pattern = compile_filter('{ $.foo = "bar" }')
        with_default = MetricTransformation("M", "N", default_value=0.0)
        emission = with_default.emit(pattern, '{"foo":"baz"}')
        assert emission is not None
        assert (emission.value, emission.matched) == (0.0, False)
        assert MetricTransformation("M", "N").emit(pattern, '{"foo":"baz"}') is None

    def test_unparsable_value_publishes_nothing_even_with_a_default(self):
        """A match whose value is not numeric publishes nothing, not the default."""
        pattern = compile_filter("{ $.value = * }")
        transformation = MetricTransformation("M", "N", metric_value="$.value", default_value=0.0)
        assert transformation.emit(pattern, '{"value":"banana"}') is None

    def test_emit_parsed_on_a_cloudtrail_record(self, docs_records):
        """A CIS filter counts a parsed record with a dimension read from it."""
        pattern = compile_filter(CIS_CLOUDTRAIL_FILTERS["CloudWatch.6"])
        transformation = MetricTransformation(
            "Failures", "CIS", dimensions={"User": "$.userIdentity.type"}
        )
        failure = next(r for r in docs_records if r.get("errorMessage") == "Failed authentication")
        emission = transformation.emit_parsed(pattern, failure)
        assert emission is not None
        assert emission.value == 1.0
        assert emission.dimensions == {"User": failure["userIdentity"]["type"]}

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            (
                {"dimensions": {"D": "$.d"}, "defaultValue": 0},
                (
                    "Invalid metric transformation: dimensions and default value are mutually"
                    " exclusive properties"
                ),
            ),
            (
                {"dimensions": {"Bucket": "$.items[*].bucket"}},
                "Invalid metric transformation: dimension value must be valid selector",
            ),
            (
                {"dimensions": {"D": "literal"}},
                "Invalid metric transformation: dimension value must be valid selector",
            ),
            (
                {"metricValue": "abc"},
                "Invalid metric transformation: metric value abc must be a valid number",
            ),
            (
                {"metricName": "a:b"},
                (
                    "1 validation error detected: Value 'a:b' at"
                    " 'metricTransformations.1.member.metricName' failed to satisfy constraint:"
                    " Member must satisfy regular expression pattern: [^:*$]*"
                ),
            ),
            (
                {"metricValue": "1" * 101},
                (
                    f"1 validation error detected: Value '{'1' * 101}' at"
                    " 'metricTransformations.1.member.metricValue' failed to satisfy constraint:"
                    " Member must have length less than or equal to 100"
                ),
            ),
            (
                {"metricNamespace": None},
                (
                    "1 validation error detected: Value null at"
                    " 'metricTransformations.1.member.metricNamespace' failed to satisfy"
                    " constraint: Member must not be null"
                ),
            ),
        ],
    )
    def test_rejected_as_aws_rejects(self, overrides, message):
        """Invalid transformations fail with PutMetricFilter's messages."""
        with pytest.raises(InvalidFilterPattern) as raised:
            MetricTransformation.from_aws(definition(**overrides))
        assert str(raised.value) == message

    def test_unit_must_be_a_standard_unit(self):
        """The unit must be one of CloudWatch's StandardUnit values."""
        with pytest.raises(InvalidFilterPattern, match="Member must satisfy enum value set"):
            MetricTransformation.from_aws(definition(unit="Requests"))

    def test_at_most_three_dimensions(self):
        """A fourth dimension is rejected."""
        dimensions = {f"D{n}": f"$.d{n}" for n in range(4)}
        with pytest.raises(InvalidFilterPattern, match="at most 3 dimensions"):
            MetricTransformation.from_aws(definition(dimensions=dimensions))

    def test_dimensions_need_a_structured_pattern(self):
        """Dimensions with a term pattern fail as PutMetricFilter fails them."""
        with pytest.raises(
            InvalidFilterPattern,
            match=r"^The specified filter pattern does not support dimensions$",
        ):
            MetricTransformation.from_aws(
                definition(dimensions={"D": "$.d"}), pattern=compile_filter("?ERROR ?WARN")
            )

    def test_undefined_space_field_is_accepted(self):
        """``$missing`` with a space-delimited pattern is accepted and publishes nothing."""
        pattern = compile_filter("[kind,value]")
        transformation = MetricTransformation.from_aws(
            definition(metricValue="$missing"), pattern=pattern
        )
        assert transformation.emit(pattern, "SPACE 17") is None

    def test_frozen_and_hashable(self):
        """A transformation is an immutable, hashable value."""
        transformation = MetricTransformation("M", "N", dimensions={"D": "$.d"})
        assert hash(transformation) == hash(MetricTransformation("M", "N", dimensions={"D": "$.d"}))
        with pytest.raises(AttributeError):
            transformation.metric_name = "other"  # type: ignore[misc]
        with pytest.raises(TypeError):
            transformation.dimensions["E"] = "$.e"  # type: ignore[index]

"""Every case of the CloudWatch Logs conformance corpora (AWS docs, tests and recorded AWS)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailguard.errors import InvalidFilterPattern
from trailguard.patterns.logs_filter import MetricTransformation, compile_filter

CORPORA = Path(__file__).resolve().parents[2] / "conformance" / "cwlogs"


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CORPORA / name).read_text().splitlines() if line]


CASES = [
    pytest.param(case, id=f"{path.stem}/{case['id']}")
    for path in sorted(CORPORA.glob("*.jsonl"))
    for case in load(path.name)
]
METRIC_CASES = [
    pytest.param(case, id=case["id"]) for case in load("cases.jsonl") if "metric_value_expr" in case
]
EXTRACTED_CASES = [
    pytest.param(case, id=case["id"]) for case in load("cases.jsonl") if "extracted" in case
]


def test_both_corpora_are_here():
    """The two corpora are complete copies: 369 curated cases and the 1,348-row capture."""
    assert len(load("cases.jsonl")) == 369
    assert len(load("aws_capture_full.jsonl")) == 1348


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]):
    """The pattern is rejected, or matches the log event, exactly as the case records."""
    if case["expected"] == "invalid":
        with pytest.raises(InvalidFilterPattern):
            compile_filter(case["pattern"])
        return
    pattern = compile_filter(case["pattern"])
    assert pattern.matches(case["log"]) is case["expected"], case["why"]


@pytest.mark.parametrize("case", METRIC_CASES)
def test_metric_value(case: dict[str, Any]):
    """A metric filter publishes the recorded value, nothing, or is rejected by PutMetricFilter."""
    pattern = compile_filter(case["pattern"])
    definition = {
        "metricName": "M",
        "metricNamespace": "N",
        "metricValue": case["metric_value_expr"],
    }
    if "default_value" in case:
        definition["defaultValue"] = case["default_value"]
    if case["metric_value"] == "invalid-transformation":
        with pytest.raises(InvalidFilterPattern, match="must be a valid number"):
            MetricTransformation.from_aws(definition, pattern=pattern)
        return
    emission = MetricTransformation.from_aws(definition, pattern=pattern).emit(pattern, case["log"])
    if case["metric_value"] is None:
        assert emission is None or not emission.matched
    else:
        assert emission is not None
        assert emission.matched
        assert emission.value == case["metric_value"]


@pytest.mark.parametrize("case", EXTRACTED_CASES)
def test_extracted_values(case: dict[str, Any]):
    """TestMetricFilter's extractedValues for a space-delimited match are the recorded ones."""
    assert compile_filter(case["pattern"]).extracted_values(case["log"]) == case["extracted"]

"""Every case of the EventBridge conformance corpora (recorded AWS answers and aws/event-ruler)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailguard.errors import InvalidEventPattern
from trailguard.patterns.eventbridge import compile_pattern

CORPORA = Path(__file__).resolve().parents[1] / "conformance" / "eventbridge"


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CORPORA / name).read_text().splitlines() if line]


CASES = [
    pytest.param(case, id=f"{path.stem}/{case['id']}")
    for path in sorted(CORPORA.glob("*.jsonl"))
    for case in load(path.name)
]
INVALID = [case for case in CASES if case.values[0]["expected"] == "invalid"]
VALID = [case for case in CASES if case.values[0]["expected"] != "invalid"]


def test_both_corpora_are_here():
    """The corpora are complete copies: 178 AWS-validated cases and 572 event-ruler cases."""
    assert len(load("cases.jsonl")) == 178
    assert len(load("event_ruler_cases.jsonl")) == 572
    assert all(case["aws_validated"] for case in load("cases.jsonl"))


@pytest.mark.parametrize("case", VALID)
def test_match(case: dict[str, Any]):
    """The pattern compiles and matches the event exactly when the case says it does."""
    pattern = compile_pattern(case["pattern"])
    assert pattern.matches(case["event"]) is case["expected"]


@pytest.mark.parametrize("case", VALID)
def test_match_on_json_text(case: dict[str, Any]):
    """The same answer when the event is given as JSON text instead of a parsed object."""
    pattern = compile_pattern(case["pattern"])
    assert pattern.matches(json.dumps(case["event"])) is case["expected"]


@pytest.mark.parametrize("case", INVALID)
def test_invalid(case: dict[str, Any]):
    """The pattern is rejected with AWS's message, word for word (AWS's location suffix aside)."""
    expected = case.get("aws_error") or case["aws_error_expected"]
    with pytest.raises(InvalidEventPattern) as error:
        compile_pattern(case["pattern"])
    assert str(error.value) == expected


def test_numbers_compare_by_value_against_the_documentation():
    """300, 300.0 and 3.0e2 are equal: AWS says so (2025) although the documentation says not.

    Recorded behaviour wins over the documentation: localstack ``number_comparison_float`` is
    AWS-validated, while eb-event-patterns.md says "300, 300.0, and 3.0e2 are not considered equal".
    """
    case = next(c for c in load("cases.jsonl") if c["id"] == "localstack:number_comparison_float")
    assert compile_pattern(case["pattern"]).matches(case["event"]) is True
    assert compile_pattern({"n": [300]}).matches({"n": 3.0e2})

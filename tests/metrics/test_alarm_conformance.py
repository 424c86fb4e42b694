"""The CloudWatch documentation's alarm tables, case by case (mirrors conformance/run.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailguard.metrics import aggregate, evaluate_alarm

CASES_FILE = Path(__file__).resolve().parents[1] / "conformance" / "alarms" / "cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip()]


def datapoints_of(case: dict[str, Any]) -> list[float | None]:
    """The per-period statistic values of a case, aggregating raw samples when given."""
    if "samples" in case:
        statistic = case["alarm"]["Statistic"]
        return [aggregate(statistic, samples) if samples else None for samples in case["samples"]]
    return list(case["datapoints"])


class TestAlarmConformance:
    """Every documented table cell and figure gives the documented state."""

    def test_corpus_is_complete(self) -> None:
        """The copied corpus holds the 59 doc-stated cases."""
        assert len(CASES) == 59
        assert {case["basis"] for case in CASES} == {"doc"}

    @pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
    def test_case(self, case: dict[str, Any]) -> None:
        """The state after evaluating the case's range (or each step of a sequence) is AWS's."""
        alarm = case["alarm"]
        window = case.get("evaluation_range", alarm["EvaluationPeriods"])
        points = datapoints_of(case)
        state = case["previous_state"]
        if case.get("mode") == "sequence":
            for step in range(1, len(points) + 1):
                state = evaluate_alarm(alarm, points[max(0, step - window) : step], state)
                want = case.get("expected_state_at", {}).get(str(step))
                if want is not None:
                    assert state == want, f"at period {step}"
        else:
            state = evaluate_alarm(alarm, points[-window:], state)
        assert state == case["expected_state"]

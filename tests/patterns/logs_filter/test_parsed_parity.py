"""``matches_parsed(record)`` answers as ``matches`` does on the record's CloudWatch Logs line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from trailguard.patterns.logs_filter import compile_filter
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS

SHARED = Path("/work/shared/data/cloudtrail")
FIXTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "cloudtrail" / "aws_docs_examples.jsonl"
)
# Every real record set of the shared data, or the project's copy of the docs' records.
RECORD_FILES = sorted(SHARED.glob("*/records.jsonl")) or [FIXTURE]


@pytest.mark.parametrize("name", list(CIS_CLOUDTRAIL_FILTERS))
@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda path: path.parent.name)
def test_parsed_equals_text(name: str, path: Path):
    """For each CIS filter and every record, the parsed fast path agrees with the text path."""
    pattern = compile_filter(CIS_CLOUDTRAIL_FILTERS[name])
    disagreements = []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        record = orjson.loads(raw)
        # CloudTrail writes each record to CloudWatch Logs as its compact one-line JSON.
        if pattern.matches_parsed(record) is not pattern.matches(orjson.dumps(record).decode()):
            disagreements.append(number)
    assert disagreements == []


def test_filters_see_real_events():
    """The property is not vacuous: the CIS filters match some records and miss others."""
    records = [orjson.loads(raw) for path in RECORD_FILES for raw in path.read_bytes().splitlines()]
    hits = {}
    for name, text in CIS_CLOUDTRAIL_FILTERS.items():
        pattern = compile_filter(text)
        hits[name] = sum(map(pattern.matches_parsed, records))
        assert hits[name] < len(records)
    assert hits["CloudWatch.2"] > 0
    assert hits["CloudWatch.3"] > 0
    assert hits["CloudWatch.6"] > 0

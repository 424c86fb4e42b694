"""``matches_parsed(record)`` answers as ``matches`` does on the record's CloudWatch Logs line."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from trailguard.patterns.logs_filter import compile_filter
from trailguard.patterns.logs_filter.cis import CIS_CLOUDTRAIL_FILTERS
from trailguard.sources import read_events

ROOT = Path(__file__).resolve().parents[3]
# The real records the project ships: the sample trail (AWS docs, Stratus Red Team, Invictus,
# cloud-snitch) and the AWS documentation examples.
RECORD_FILES = [
    *sorted((ROOT / "examples" / "sample-trail" / "AWSLogs").rglob("*.json*")),
    ROOT / "tests" / "fixtures" / "cloudtrail" / "aws_docs_examples.jsonl",
]


def _records(path: Path) -> list[dict[str, object]]:
    return [dict(event) for _, event in read_events(str(path))]


@pytest.mark.parametrize("name", list(CIS_CLOUDTRAIL_FILTERS))
@pytest.mark.parametrize("path", RECORD_FILES, ids=lambda path: path.name)
def test_parsed_equals_text(name: str, path: Path):
    """For each CIS filter and every record, the parsed fast path agrees with the text path."""
    pattern = compile_filter(CIS_CLOUDTRAIL_FILTERS[name])
    disagreements = []
    for number, record in enumerate(_records(path), 1):
        # CloudTrail writes each record to CloudWatch Logs as its compact one-line JSON.
        if pattern.matches_parsed(record) is not pattern.matches(orjson.dumps(record).decode()):
            disagreements.append(number)
    assert disagreements == []


def test_filters_see_real_events():
    """The property is not vacuous: the CIS filters match some records and miss others."""
    records = [record for path in RECORD_FILES for record in _records(path)]
    hits = {}
    for name, text in CIS_CLOUDTRAIL_FILTERS.items():
        pattern = compile_filter(text)
        hits[name] = sum(map(pattern.matches_parsed, records))
        assert hits[name] < len(records)
    assert hits["CloudWatch.2"] > 0
    assert hits["CloudWatch.3"] > 0
    assert hits["CloudWatch.6"] > 0

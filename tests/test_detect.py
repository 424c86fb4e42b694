"""The rule set's per-record path gives exactly what matching on the full envelope gives."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from trailguard.detect import RuleSet, TimeOrderedThresholds, threshold_matches
from trailguard.events import to_envelope
from trailguard.rules import Rule, load_pack
from trailguard.rules.loader import RuleProblems, load_rule_text
from trailguard.sources.files import expand_paths, read_events

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample-trail"
FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"


def _records() -> list[dict[str, object]]:
    records = []
    for path in expand_paths([str(SAMPLE), str(FIXTURES)]):
        for _, event in read_events(path, on_error=lambda _: None):
            record = event.get("detail", event) if "detail-type" in event else event
            records.append(dict(record))
    return records


def _rule(text: str) -> Rule:
    problems = RuleProblems()
    rule = load_rule_text(text, "inline.yaml", problems)
    assert rule is not None, problems.problems
    return rule


ACCOUNT_RULE = """\
id: in-account
title: Anything in one account
severity: low
eventbridge: {account: ["111122223333"], region: [us-east-1]}
"""


@pytest.mark.parametrize("extra", [[], [ACCOUNT_RULE]], ids=["pack", "pack+account-rule"])
def test_record_path_matches_the_full_envelope(extra: list[str]) -> None:
    # The pack reads only source, detail-type and detail, so records get a lean envelope; a rule
    # on account and region needs the full one. Either way the verdicts must be the envelope's.
    rules = load_pack() + [_rule(text) for text in extra]
    rule_set = RuleSet(rules)
    records = _records()
    assert len(records) > 600
    matched = 0
    for record in records:
        envelope = to_envelope(record)
        expected = [rule.id for rule in rules if rule.matches(envelope)]
        assert [rule.id for rule in rule_set.matching_record(record)] == expected
        assert [rule.id for rule in rule_set.matching(envelope)] == expected
        matched += bool(expected)
    assert matched > 50
    # The scan's loop over a whole file gives the same verdicts, and counts what it kept.
    count, found = rule_set.match_records([*records, "not a record"])
    assert count == len(records)
    assert len(found) == matched
    assert all(
        [rule.id for rule in rules_] == [rule.id for rule in rule_set.matching_record(record)]
        for record, rules_ in found
    )
    year_2023 = [r for r in records if str(r.get("eventTime", "")).startswith("2023")]
    count, found = rule_set.match_records(
        records, keep=lambda r: str(r.get("eventTime", "")).startswith("2023")
    )
    assert count == len(year_2023) > 0
    assert all(str(record["eventTime"]).startswith("2023") for record, _ in found)


def test_a_rule_on_account_matches_through_the_record_path() -> None:
    rule_set = RuleSet([_rule(ACCOUNT_RULE)])
    record = {"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances"}
    assert rule_set.matching_record({**record, "recipientAccountId": "111122223333"}) == []
    here = {**record, "recipientAccountId": "111122223333", "awsRegion": "us-east-1"}
    assert [rule.id for rule in rule_set.matching_record(here)] == ["in-account"]


BURST = """\
id: burst
title: Denied twice
severity: medium
eventbridge: {detail: {errorCode: [AccessDenied]}}
threshold: {count: 2, window: 5m, group_by: [userIdentity.arn]}
"""


def test_threshold_matches_keep_what_the_alert_needs() -> None:
    rule = _rule(BURST)
    records = [
        {
            "eventTime": f"2024-03-01T10:0{minute}:00Z",
            "eventID": f"id-{minute}",
            "errorCode": "AccessDenied",
            "userIdentity": {"arn": "arn:aws:iam::111122223333:user/eve"},
        }
        for minute in (3, 1)
    ]
    thresholds = TimeOrderedThresholds({rule.id: rule})
    for record in records:
        (match,) = threshold_matches([rule], record)
        assert orjson.loads(match.record) == record
        assert thresholds.add(match) is None
    (alert,) = thresholds.release()
    # Counted in time order: the later event completes the burst and carries both ids.
    assert alert.event_id == "id-3"
    assert alert.related_event_ids == ("id-1", "id-3")
    assert alert.record == records[0]


def test_a_record_without_a_valid_time_is_not_counted() -> None:
    assert threshold_matches([_rule(BURST)], {"eventTime": "yesterday"}) == []

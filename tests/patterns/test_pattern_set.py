"""PatternSet answers exactly as its patterns would one by one, whatever it indexes them on."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from trailguard.events import to_envelope
from trailguard.patterns.eventbridge import EventPattern, PatternSet, compile_pattern

TESTS = Path(__file__).resolve().parents[1]
CORPORA = TESTS / "conformance" / "eventbridge"
FIXTURES = TESTS / "fixtures"


def load(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def real_envelopes() -> list[dict[str, Any]]:
    """Real CloudTrail records as EventBridge envelopes (tests/fixtures)."""
    envelopes = load(FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl")
    records = load(FIXTURES / "cloudtrail" / "aws_docs_examples.jsonl")
    return envelopes + [to_envelope(record) for record in records]


def one_by_one(patterns: Mapping[str, EventPattern], event: Any) -> list[str]:
    return [name for name, pattern in patterns.items() if pattern.matches(event)]


SECURITY = {
    "console-login": {"detail-type": ["AWS Console Sign In via CloudTrail"]},
    "root": {"detail": {"userIdentity": {"type": ["Root"]}}},
    "cloudtrail-tampering": {
        "source": ["aws.cloudtrail"],
        "detail": {"eventName": ["StopLogging", "DeleteTrail", "UpdateTrail"]},
    },
    "iam-keys": {
        "detail": {"eventName": ["CreateAccessKey"], "eventSource": ["iam.amazonaws.com"]}
    },
    "access-denied": {"detail": {"errorCode": [{"prefix": "AccessDenied"}, {"suffix": "Denied"}]}},
    "or-root-or-denied": {
        "detail": {"$or": [{"userIdentity": {"type": ["Root"]}}, {"errorCode": ["AccessDenied"]}]}
    },
    "anything-but-only": {"detail": {"eventSource": [{"anything-but": "sts.amazonaws.com"}]}},
    "exists-false-only": {"detail": {"errorCode": [{"exists": False}]}},
    "numeric-only": {"detail": {"requestParameters": {"fromPort": [{"numeric": ["<", 1024]}]}}},
    "mfa-not-used": {"detail": {"additionalEventData": {"MFAUsed": [{"anything-but": "Yes"}]}}},
    "cidr": {"detail": {"sourceIPAddress": [{"cidr": "192.0.2.0/24"}]}},
    "ip-exact": {"detail": {"sourceIPAddress": ["192.0.2.0"]}},
    "wildcard-arn": {"detail": {"userIdentity": {"arn": [{"wildcard": "arn:aws:iam::*:root"}]}}},
    "ignore-case": {"detail": {"eventName": [{"equals-ignore-case": "consolelogin"}]}},
    "per-account": {"account": ["111122223333"], "detail": {"eventName": ["ConsoleLogin"]}},
    "per-region": {"region": ["us-east-1"], "detail": {"eventName": ["ConsoleLogin"]}},
    "resources": {
        "detail": {"resources": {"type": ["AWS::KMS::Key"], "ARN": [{"prefix": "arn:"}]}}
    },
}


class TestSameAnswers:
    """matching() equals evaluating every pattern alone."""

    def test_conformance_events_against_all_conformance_patterns(self):
        """Every valid corpus pattern in one set, checked against every corpus event."""
        cases = load(CORPORA / "cases.jsonl") + load(CORPORA / "event_ruler_cases.jsonl")
        patterns: dict[str, EventPattern] = {}
        for case in cases:
            if case["expected"] != "invalid":
                patterns.setdefault(_key(case["pattern"]), compile_pattern(case["pattern"]))
        events = {_key(case["event"]): case["event"] for case in cases}
        many = PatternSet(patterns)
        assert len(many) == len(patterns) > 250
        for event in events.values():
            assert many.matching(event) == one_by_one(patterns, event)

    def test_real_envelopes_against_security_patterns(self):
        """Realistic rules, including ones no exact value can index, on real envelopes."""
        patterns = {name: compile_pattern(pattern) for name, pattern in SECURITY.items()}
        many = PatternSet(patterns)
        hits = 0
        for event in real_envelopes():
            expected = one_by_one(patterns, event)
            assert many.matching(event) == expected
            assert many.matching(json.dumps(event)) == expected
            hits += len(expected)
        assert hits > 20

    @pytest.mark.parametrize("seed", range(8))
    def test_random_patterns_from_real_values(self, seed: int):
        """Patterns built at random from values the real events carry (a property test)."""
        events = real_envelopes()
        chooser = random.Random(seed)
        patterns = {
            f"p{number}": compile_pattern(_random_pattern(chooser, events), max_length=None)
            for number in range(60)
        }
        many = PatternSet(patterns)
        hits = 0
        for event in events:
            expected = one_by_one(patterns, event)
            assert many.matching(event) == expected
            hits += len(expected)
        assert hits > 50

    def test_events_the_fast_path_cannot_read(self):
        """Keys containing dots, arrays of objects and other mappings take the general path."""
        patterns = {name: compile_pattern(pattern) for name, pattern in SECURITY.items()}
        many = PatternSet(patterns)
        odd = [
            {"detail.eventName": "StopLogging", "source": "aws.cloudtrail"},
            {"detail": {"userIdentity.type": "Root"}},
            {"detail": [{"errorCode": "AccessDenied"}, {"errorCode": "Other"}]},
            {"detail": {"eventName": ["ConsoleLogin", "StopLogging"]}, "source": "aws.cloudtrail"},
            MappingProxyType({"detail": {"userIdentity": {"type": "Root"}}}),
        ]
        for event in odd:
            assert many.matching(event) == one_by_one(patterns, event)
        assert many.matching({"detail.eventName": "StopLogging", "source": "aws.cloudtrail"}) == [
            "cloudtrail-tampering",
            "exists-false-only",
        ]


class TestUnindexable:
    """Patterns with no exact value still match, through presence gates or always."""

    @pytest.mark.parametrize(
        "name", ["anything-but-only", "exists-false-only", "numeric-only", "or-root-or-denied"]
    )
    def test_alone_in_a_set(self, name: str):
        """A set of one hard-to-index pattern answers like the pattern itself."""
        pattern = compile_pattern(SECURITY[name])
        many = PatternSet({name: pattern})
        for event in real_envelopes():
            assert many.matching(event) == ([name] if pattern.matches(event) else [])


class TestApi:
    """The mapping-like surface of PatternSet."""

    def test_insertion_order_and_replacement(self):
        """Names come back in insertion order; add() of an existing name keeps its place."""
        many = PatternSet({"b": {"source": ["aws.signin"]}, "a": SECURITY["console-login"]})
        event = next(e for e in real_envelopes() if e["source"] == "aws.signin")
        assert many.matching(event) == ["b", "a"]
        many.add("b", '{"source": ["aws.s3"]}')
        assert many.matching(event) == ["a"]
        many.add("c", compile_pattern({"source": ["aws.signin"]}))
        assert many.matching(event) == ["a", "c"]
        assert list(many) == ["b", "a", "c"]
        assert len(many) == 3
        assert "c" in many
        assert isinstance(many["c"], EventPattern)

    def test_unreadable_events(self):
        """Non-objects and broken JSON text match nothing."""
        many = PatternSet({"all": {"detail": {"errorCode": [{"exists": False}]}}})
        for event in (None, [], "not json", "[1]", 5):
            assert many.matching(event) == []
        assert many.matching("{}") == ["all"]

    def test_empty_set(self):
        """A set without patterns matches nothing."""
        assert PatternSet().matching(real_envelopes()[0]) == []

    def test_index_paths_can_be_chosen(self):
        """Custom index paths change the plan, not the answers."""
        patterns = {name: compile_pattern(pattern) for name, pattern in SECURITY.items()}
        many = PatternSet(patterns, index_paths=("source", "account"))
        for event in real_envelopes():
            assert many.matching(event) == one_by_one(patterns, event)

    def test_invalid_pattern_is_rejected_on_add(self):
        """Text or mappings are compiled when added, with AWS's message."""
        with pytest.raises(ValueError, match="Empty arrays are not allowed"):
            PatternSet({"bad": {"source": []}})


def _key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    elif path:
        yield ".".join(path), value


def _random_pattern(chooser: random.Random, events: list[dict[str, Any]]) -> dict[str, Any]:
    """A pattern of one to three fields, mixing operators, often sharing indexable values."""
    leaves = [leaf for event in chooser.sample(events, 3) for leaf in _leaves(event)]
    pattern: dict[str, Any] = {}
    for path, value in chooser.sample(leaves, chooser.randint(1, 3)):
        pattern[path] = [_random_matcher(chooser, value) for _ in range(chooser.randint(1, 2))]
    if chooser.random() < 0.15:
        path, value = chooser.choice(leaves)
        pattern["$or"] = [{path: [_random_matcher(chooser, value)]}, {"source": ["aws.signin"]}]
    return pattern


def _random_matcher(chooser: random.Random, value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value)
    choices: list[Any] = [
        value,
        value,
        {"exists": chooser.random() < 0.5},
        {"anything-but": text},
        {"prefix": text[: chooser.randint(0, len(text))]},
        {"suffix": text[chooser.randint(0, len(text)) :]},
        {"equals-ignore-case": text.upper()},
        {"wildcard": "*" + (text[1:4].replace("*", "").replace("\\", "") or "-") + "*"},
    ]
    if isinstance(value, int | float) and not isinstance(value, bool):
        choices.append({"numeric": [">=", value]})
    return chooser.choice(choices)

"""Fixtures for the pipeline tests: a configured pipeline with a local webhook server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from trailguard.alerting import MemoryState, NotifyState, Pipeline
from trailguard.alerts import Alert
from trailguard.config import SecretResolver, parse_config
from trailguard.detect import RuleSet, detect
from trailguard.notify import LazySenders, SenderKit
from trailguard.rules import Rule, load_pack
from trailguard.testing import RecordingSmtp, WebhookServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass
class Clock:
    """A settable clock."""

    now: datetime = datetime(2024, 8, 18, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Sleeps:
    """Records the waits instead of waiting."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="session")
def pack() -> dict[str, Rule]:
    return {rule.id: rule for rule in load_pack()}


@pytest.fixture(scope="session")
def envelopes() -> list[dict[str, Any]]:
    lines = (FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def alerts_for(pack: dict[str, Rule]) -> Callable[..., list[Alert]]:
    """The alerts the built-in pack raises for some events (optionally only some rules)."""
    rule_set = RuleSet(list(pack.values()))

    def alerts(events: list[dict[str, Any]], *rule_ids: str) -> list[Alert]:
        found = list(detect(rule_set, events))
        return [a for a in found if not rule_ids or a.rule_id in rule_ids]

    return alerts


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    with WebhookServer() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_pipeline(
    server: WebhookServer, pack: dict[str, Rule], clock: Clock, sleeps: Sleeps
) -> Callable[..., Pipeline]:
    """A pipeline for a configuration text; {url} in it is the local webhook server."""

    def make(text: str, state: NotifyState | None = None, **options: Any) -> Pipeline:
        config, problems = parse_config(text.replace("{url}", server.url), "test.yaml")
        assert problems == [], [str(p) for p in problems]
        clients = options.pop("clients", None)
        kit = SenderKit(
            SecretResolver(clients, {"HOOK": server.url + "/hook"}),
            clients,
            smtp_send=RecordingSmtp(),
        )
        return Pipeline(
            config,
            rules=pack,
            senders=LazySenders(config, kit),
            state=state or MemoryState(),
            clock=clock,
            sleep=sleeps,
            clients=clients,
            **options,
        )

    return make

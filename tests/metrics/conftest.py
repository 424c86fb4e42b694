"""Fixtures for the metrics tests: a stand-in filter pattern and the ConsoleLogin records."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class FakePattern:
    """A stand-in for a compiled filter: a predicate over the JSON message."""

    predicate: Predicate

    def matches(self, message: str) -> bool:
        document = _document(message)
        return document is not None and self.predicate(document)

    def extract(self, message: str, selector: str) -> float | None:
        if not selector.startswith("$"):
            return float(selector)
        value: Any = _document(message)
        for name in selector.removeprefix("$.").split("."):
            value = value.get(name) if isinstance(value, Mapping) else None
        if isinstance(value, bool) or value is None:
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None


def _document(message: str) -> Mapping[str, Any] | None:
    try:
        document = json.loads(message)
    except ValueError:
        return None
    return document if isinstance(document, Mapping) else None


def is_failed_console_login(record: Mapping[str, Any]) -> bool:
    """CIS 3.6: ``($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication")``."""
    return (
        record.get("eventName") == "ConsoleLogin"
        and record.get("errorMessage") == "Failed authentication"
    )


@pytest.fixture
def make_pattern() -> Callable[[Predicate], FakePattern]:
    """Build a fake filter pattern from a predicate over the parsed message."""
    return FakePattern


@pytest.fixture
def failed_login_pattern() -> FakePattern:
    """A fake of the CIS console-authentication-failure filter."""
    return FakePattern(is_failed_console_login)


@pytest.fixture
def console_logins(docs_records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The AWS documentation's ConsoleLogin records, split into failures and successes."""
    logins = [record for record in docs_records if record.get("eventName") == "ConsoleLogin"]
    return {
        "failed": [record for record in logins if is_failed_console_login(record)],
        "succeeded": [
            record for record in logins if record["responseElements"]["ConsoleLogin"] == "Success"
        ],
    }

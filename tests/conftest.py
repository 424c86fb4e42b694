"""Shared fixtures: the project's real CloudTrail data and helpers to load it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_TRAIL = ROOT / "examples" / "sample-trail"


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a JSON Lines file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def fixtures() -> Path:
    """The folder of real-shaped AWS payloads."""
    return FIXTURES


@pytest.fixture
def envelopes() -> list[dict[str, Any]]:
    """EventBridge envelopes of real CloudTrail records, as EventBridge delivers them."""
    return load_jsonl(FIXTURES / "eventbridge" / "cloudtrail_envelopes.jsonl")


@pytest.fixture
def docs_records() -> list[dict[str, Any]]:
    """The complete CloudTrail record examples of the AWS documentation."""
    return load_jsonl(FIXTURES / "cloudtrail" / "aws_docs_examples.jsonl")


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, bytes | str], Path]:
    """Write bytes or text to a file under a temporary folder and return its path."""

    def write(name: str, content: bytes | str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
        return path

    return write

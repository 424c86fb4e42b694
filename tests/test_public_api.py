"""The public names of the package are deliberate."""

from __future__ import annotations

import subprocess
import sys

import trailguard
from trailguard import metrics, rules, sources
from trailguard.patterns import eventbridge, logs_filter


def test_all_lists_name_what_exists() -> None:
    """Each public module's __all__ names every public name once, and each exists (ruff sorts it)."""
    for module in (trailguard, eventbridge, logs_filter, metrics, rules, sources):
        names = list(module.__all__)
        assert len(names) == len(set(names)), module.__name__
        assert all(hasattr(module, name) for name in names), module.__name__


def test_library_import_does_not_load_the_cli() -> None:
    """Importing the engines pulls in neither click nor rich (the Lambda handler relies on it)."""
    code = (
        "import sys, trailguard.patterns.eventbridge, trailguard.patterns.logs_filter, "
        "trailguard.metrics, trailguard.rules, trailguard.detect, trailguard.sources; "
        "print(sorted(m for m in ('click', 'rich') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

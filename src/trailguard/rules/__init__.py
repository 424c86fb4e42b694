"""Detection rules: the model, the loader, and the built-in pack."""

from __future__ import annotations

from trailguard.rules.loader import load_pack, load_rules, pack_directory
from trailguard.rules.model import (
    Dedupe,
    Examples,
    Rule,
    Severity,
    Threshold,
    parse_duration,
    selects,
)

__all__ = [
    "Dedupe",
    "Examples",
    "Rule",
    "Severity",
    "Threshold",
    "load_pack",
    "load_rules",
    "pack_directory",
    "parse_duration",
    "selects",
]

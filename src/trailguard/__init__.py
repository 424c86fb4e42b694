"""trailguard: AWS CloudTrail to security alerts and investigations."""

from __future__ import annotations

from trailguard.errors import (
    ConfigError,
    InputError,
    InvalidEventPattern,
    InvalidFilterPattern,
    Location,
    PatternError,
    TrailguardError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "InputError",
    "InvalidEventPattern",
    "InvalidFilterPattern",
    "Location",
    "PatternError",
    "TrailguardError",
    "__version__",
]

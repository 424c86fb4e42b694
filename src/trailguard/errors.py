"""The one exception tree of trailguard.

Catch ``TrailguardError`` to handle anything the library raises on purpose::

    TrailguardError
    ├── PatternError (also a ValueError)   a pattern AWS would reject
    │   ├── InvalidEventPattern            EventBridge event pattern
    │   └── InvalidFilterPattern           CloudWatch Logs filter pattern
    ├── InputError                         a file, line or field we cannot read
    └── ConfigError                        an option, rule or setting that is wrong

Pattern messages reuse AWS's wording, so a user can search for them and compare them with what
``aws events test-event-pattern`` or ``aws logs test-metric-filter`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, and optionally a line (1-based) and a field."""

    path: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
        if self.field:
            text += f" ({self.field})"
        return text


class TrailguardError(Exception):
    """Root of every error trailguard raises on purpose; the CLI turns it into a message."""

    def __init__(self, message: str, *, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class PatternError(TrailguardError, ValueError):
    """A pattern that AWS would reject; the message is AWS's."""


class InvalidEventPattern(PatternError):
    """An EventBridge event pattern AWS rejects ("Event pattern is not valid. Reason: ...")."""

    def __init__(self, reason: str, *, location: Location | None = None) -> None:
        super().__init__(f"Event pattern is not valid. Reason: {reason}", location=location)
        self.reason = reason


class InvalidFilterPattern(PatternError):
    """A CloudWatch Logs filter pattern AWS rejects ("Invalid metric filter pattern" etc.)."""


class InputError(TrailguardError):
    """Input that cannot be read: an unreadable file, a corrupt gzip, JSON that is not a record."""


class ConfigError(TrailguardError):
    """A wrong option, rule file or configuration setting."""

"""What SQL cannot express exactly: the field (or option) and the reason, never a guess."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from trailguard.errors import ConfigError


@dataclass(frozen=True)
class Problem:
    """One field that SQL cannot express exactly, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class Untranslatable(ConfigError):
    """A pattern or query with at least one part SQL cannot express exactly."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(dict.fromkeys(problems))
        super().__init__("; ".join(str(problem) for problem in self.problems))

    @classmethod
    def one(cls, path: str, reason: str) -> Untranslatable:
        """The error for a single field."""
        return cls([Problem(path, reason)])

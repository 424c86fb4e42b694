"""Reading the inputs of a command: pattern arguments and event files, with errors on stderr."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from trailguard.errors import InputError, Location
from trailguard.sources import STDIN, expand_paths, read_events


def pattern_text(argument: str) -> str:
    """A pattern given inline or as the path of a file that holds it."""
    stripped = argument.strip()
    if stripped.startswith(("{", "[")) or not Path(argument).is_file():
        return argument
    try:
        return Path(argument).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(error), location=Location(argument)) from None


class InputReport:
    """Counts the inputs read and prints each problem on stderr as it happens."""

    def __init__(self) -> None:
        self.files = 0
        self.problems = 0

    def __call__(self, error: InputError) -> None:
        """Report one problem and go on."""
        self.problems += 1
        click.echo(f"trailguard: skipped: {error}", err=True)


def iter_input_events(
    paths: Sequence[str], report: InputReport
) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """``(path, position, event)`` for every event in ``paths`` (stdin when empty)."""
    for path in expand_paths(paths or [STDIN]):
        report.files += 1
        for position, event in read_events(path, on_error=report):
            yield path, position, event

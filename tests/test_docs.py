"""The README documents every command, and every command has help."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from trailguard.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "trailguard") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(main)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_command_has_help(path: str, command: click.Command) -> None:
    """`--help` works and says something for every command."""
    result = CliRunner().invoke(main, [*path.split()[1:], "--help"])
    assert result.exit_code == 0
    assert command.help or command.short_help
    assert "Usage:" in result.output


@pytest.mark.parametrize(
    "path", [path for path, command in COMMANDS if not isinstance(command, click.Group)]
)
def test_every_command_is_in_the_readme(path: str) -> None:
    """Each leaf command appears in the README by its full name."""
    group, _, leaf = path.rpartition(" ")
    headings = [line for line in README.splitlines() if line.startswith(f"### `{group} ")]
    assert path in README or any(f" {leaf}" in line for line in headings)


def test_readme_starts_with_the_two_commands() -> None:
    """The README opens with `make demo` and `make test`."""
    head = README.split("\n## ", 1)[0]
    assert "make demo" in head
    assert "make test" in head
